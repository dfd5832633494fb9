// data/langid.h — language identification with fastText (libfasttext-dev):
// a supervised classifier over character n-grams, trained from labelled
// text (`seek data langid train`, e.g. the multilingual fortunes of the
// default corpus) and used by the pipeline's langid stage to tag every
// document with a language and a score.
//
// Text is flattened to one line (whitespace runs to one space) both when
// training and predicting, so a document's line breaks do not matter.
// Training with one thread is deterministic for a given seed.
// Thread-safety: Predict may be called concurrently on one loaded model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace fasttext {
class FastText;
class Dictionary;
class DenseMatrix;
}

namespace seek {

struct LabelledText {
  std::string label;  // "en", "zh", ...
  std::string text;
};

struct LangIdTrainOptions {
  int dim = 16;           // embedding size
  int epoch = 5;
  double lr = 0.5;
  int minn = 1, maxn = 4;  // character n-gram lengths (code points)
  int word_ngrams = 1;
  int bucket = 400000;    // hashed n-gram rows
  int threads = 1;        // > 1 is faster but not deterministic
  int seed = 1;
};

struct LangIdPrediction {
  std::string language;  // "" when the model has no answer (empty text)
  float score = 0;       // probability of `language`
};

class LanguageId {
 public:
  ~LanguageId();
  static StatusOr<std::unique_ptr<LanguageId>> Load(const std::string& path);
  // `scratch_dir` holds the temporary training file (deleted afterwards).
  static StatusOr<std::unique_ptr<LanguageId>> Train(const std::vector<LabelledText>& data,
                                                     const LangIdTrainOptions& options,
                                                     const std::string& scratch_dir);
  // Atomic: written to a temporary file in the same folder, then renamed.
  Status Save(const std::string& path) const;

  // Thread-safe. Computes fastText's prediction itself with cached
  // per-token sums (several times faster); fastText's own predictLine for
  // quantized or non-softmax models.
  LangIdPrediction Predict(std::string_view text) const;
  // fastText's predictLine on the flattened text: the reference twin.
  LangIdPrediction PredictWithFastText(std::string_view text) const;
  std::vector<std::string> languages() const;

 private:
  LanguageId();
  void PrepareFastPath();
  LangIdPrediction PredictFast(std::string_view text) const;
  std::unique_ptr<fasttext::FastText> ft_;
  uint64_t model_id_;
  bool fast_ = false;
  std::shared_ptr<const fasttext::Dictionary> dict_;
  std::shared_ptr<const fasttext::DenseMatrix> in_, out_;
};

// Labelled text from folders `root/<language>/<files>`, each file holding
// fortune-style records separated by lines of "%" (a file without "%" lines
// is one record), each record ending in a newline. A language's folder is
// read as a pipeline input (data/readers.h): recursively, in path order,
// .zst decompressed; empty records are skipped, an unreadable file is an error.
StatusOr<std::vector<LabelledText>> ReadLabelledFolders(const std::string& root);

// A deterministic split: a record goes to `test` when the hash of its text
// (salted) falls in the first `fraction` of the range, so identical texts
// always land on the same side.
void SplitHoldout(const std::vector<LabelledText>& all, double fraction, uint64_t salt,
                  std::vector<LabelledText>* train, std::vector<LabelledText>* test);

// Accuracy of `model` on `test`, overall and per language (sorted by name).
struct LangIdAccuracy {
  double overall = 0;
  int64_t n = 0;
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> per_language;  // (correct, total)
};
LangIdAccuracy Evaluate(const LanguageId& model, const std::vector<LabelledText>& test);

// Whitespace runs (incl. newlines) to one space, trimmed.
std::string FlattenForLangId(std::string_view text);

}  // namespace seek
