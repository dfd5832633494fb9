#include "data/langid.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <unordered_map>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <fasttext/fasttext.h>
#include <unistd.h>
#include <xxhash.h>

#include "data/readers.h"
#include "io/file_util.h"

namespace seek {
namespace {

constexpr const char* kLabelPrefix = "__label__";

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Each thread's cache of per-token input-row sums (see PredictFast), for one
// model at a time: models get unique ids, so a new model never sees another's sums.
struct TokenCache {
  uint64_t model = 0;
  std::unordered_map<std::string, std::pair<std::vector<float>, int32_t>> sums;  // token -> (sum of rows, rows)
};
std::atomic<uint64_t> next_model_id{1};
constexpr size_t kMaxCachedTokens = 1 << 20;


}  // namespace

std::string FlattenForLangId(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (IsSpace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

LanguageId::LanguageId() : ft_(std::make_unique<fasttext::FastText>()), model_id_(next_model_id++) {}

void LanguageId::PrepareFastPath() {
  // A quantized model (.ftz) has no dense matrices: fastText predicts then.
  fast_ = !ft_->isQuant() && ft_->getArgs().loss == fasttext::loss_name::softmax;
  if (!fast_) return;
  dict_ = ft_->getDictionary();
  in_ = ft_->getInputMatrix();
  out_ = ft_->getOutputMatrix();
}
LanguageId::~LanguageId() = default;

StatusOr<std::unique_ptr<LanguageId>> LanguageId::Load(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    return NotFoundError("language ID model {} does not exist (train one with `seek data langid train`)", path);
  std::unique_ptr<LanguageId> m(new LanguageId());
  try {
    m->ft_->loadModel(path);
  } catch (const std::exception& e) {
    return DataLossError("{} is not a fastText model: {}", path, e.what());
  }
  if (m->ft_->getArgs().model != fasttext::model_name::sup)
    return InvalidArgumentError("{} is a fastText word-vector model, not a classifier", path);
  m->PrepareFastPath();
  return m;
}

StatusOr<std::unique_ptr<LanguageId>> LanguageId::Train(const std::vector<LabelledText>& data,
                                                        const LangIdTrainOptions& o,
                                                        const std::string& scratch_dir) {
  if (data.empty()) return InvalidArgumentError("no labelled text to train a language ID model on");
  if (o.dim < 1 || o.epoch < 1 || o.lr <= 0 || o.minn < 0 || o.maxn < o.minn || o.bucket < 1 || o.threads < 1)
    return InvalidArgumentError("language ID options out of range (dim {}, epoch {}, lr {}, minn {}, maxn {}, "
                                "bucket {}, threads {})", o.dim, o.epoch, o.lr, o.minn, o.maxn, o.bucket, o.threads);
  // fastText reads the file in order with a decaying learning rate: shuffled
  // (seeded), or the last language in the file would win.
  std::vector<const LabelledText*> order;
  for (const LabelledText& t : data) order.push_back(&t);
  std::mt19937_64 rng(static_cast<uint64_t>(o.seed));
  std::shuffle(order.begin(), order.end(), rng);
  std::string lines;
  for (const LabelledText* tp : order) {
    const LabelledText& t = *tp;
    if (t.label.empty() || t.label.find_first_of(" \t\n") != std::string::npos)
      return InvalidArgumentError("language label '{}' must be one word", t.label);
    lines += kLabelPrefix + t.label + " " + FlattenForLangId(t.text) + "\n";
  }
  const std::string input =
      (std::filesystem::path(scratch_dir) / ("langid_train_" + std::to_string(getpid()) + ".txt")).string();
  RETURN_IF_ERROR(WriteFileAtomic(input, lines));
  fasttext::Args a;
  a.input = input;
  a.model = fasttext::model_name::sup;
  a.loss = fasttext::loss_name::softmax;
  a.dim = o.dim;
  a.epoch = o.epoch;
  a.lr = o.lr;
  a.minn = o.minn;
  a.maxn = o.maxn;
  a.wordNgrams = o.word_ngrams;
  a.bucket = o.bucket;
  a.thread = o.threads;
  a.seed = o.seed;
  a.minCount = 1;
  a.verbose = 0;
  std::unique_ptr<LanguageId> m(new LanguageId());
  Status st = Status::Ok();
  try {
    m->ft_->train(a);
  } catch (const std::exception& e) {
    st = InvalidArgumentError("fastText training failed: {}", e.what());
  }
  std::error_code ec;
  std::filesystem::remove(input, ec);
  RETURN_IF_ERROR(st);
  m->PrepareFastPath();
  return m;
}

Status LanguageId::Save(const std::string& path) const {
  const std::string tmp = path + ".fasttext.tmp";
  try {
    ft_->saveModel(tmp);
  } catch (const std::exception& e) {
    return IoError("cannot write {}: {}", tmp, e.what());
  }
  StatusOr<std::string> bytes = ReadFileToString(tmp);
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  if (!bytes.ok()) return bytes.status();
  return WriteFileAtomic(path, *bytes);
}


LangIdPrediction LanguageId::Predict(std::string_view text) const {
  if (fast_) return PredictFast(text);
  return PredictWithFastText(text);
}

// fastText's supervised prediction, computed here: the hidden vector is the
// mean of the input-matrix rows of every token's ids (the word's own row and
// its character n-grams', as Dictionary::getSubwords gives them; n-grams only
// for unknown words) plus the end-of-line token's; the output is the softmax
// of the output matrix times it, and the score is fastText's exp(log(p + 1e-5)).
// What makes it fast: a token's rows are summed once per thread and cached
// (words repeat; the rows are scattered over a 25 MB matrix, so fastText's
// time goes to cache misses in addRowToVector). Only the summation order
// differs from fastText, so scores agree to float rounding (tests/data).
LangIdPrediction LanguageId::PredictFast(std::string_view text) const {
  thread_local TokenCache cache;
  if (cache.model != model_id_ || cache.sums.size() > kMaxCachedTokens) {
    cache.sums.clear();
    cache.model = model_id_;
  }
  const int64_t dim = in_->cols();
  std::vector<float> hidden(static_cast<size_t>(dim), 0.f);
  int64_t rows = 0;
  auto add_token = [&](const std::string& token) {
    auto it = cache.sums.find(token);
    if (it == cache.sums.end()) {
      std::vector<float> sum(static_cast<size_t>(dim), 0.f);
      const std::vector<int32_t> ids = dict_->getSubwords(token);
      for (int32_t id : ids)
        for (int64_t j = 0; j < dim; ++j) sum[j] += in_->at(id, j);
      it = cache.sums.emplace(token, std::make_pair(std::move(sum), static_cast<int32_t>(ids.size()))).first;
    }
    for (int64_t j = 0; j < dim; ++j) hidden[j] += it->second.first[j];
    rows += it->second.second;
  };
  std::string token;
  auto flush = [&] {
    // Tokens that look like labels are labels to fastText, not words.
    if (!token.empty() && token.rfind(kLabelPrefix, 0) != 0) add_token(token);
    token.clear();
  };
  for (char c : text) {
    if (IsSpace(c) || c == '\0') {
      flush();
    } else {
      token += c;
    }
  }
  flush();
  add_token(fasttext::Dictionary::EOS);
  LangIdPrediction out;
  if (rows == 0) return out;
  const float inv = static_cast<float>(1.0 / static_cast<double>(rows));
  for (float& h : hidden) h *= inv;
  const int64_t labels = out_->rows();
  std::vector<float> o(static_cast<size_t>(labels));
  for (int64_t i = 0; i < labels; ++i) {
    float d = 0.f;
    for (int64_t j = 0; j < dim; ++j) d += out_->at(i, j) * hidden[j];
    o[i] = d;
  }
  const float top = *std::max_element(o.begin(), o.end());
  float z = 0.f;
  for (float& v : o) z += (v = std::exp(v - top));
  int64_t best = 0;
  for (int64_t i = 0; i < labels; ++i) {
    o[i] /= z;
    if (o[i] > o[best]) best = i;
  }
  const std::string label = dict_->getLabel(static_cast<int32_t>(best));
  out.language = label.substr(std::min(label.size(), std::string_view(kLabelPrefix).size()));
  out.score = std::min(1.0f, std::exp(std::log(o[best] + 1e-5f)));
  return out;
}

LangIdPrediction LanguageId::PredictWithFastText(std::string_view text) const {
  std::istringstream in(FlattenForLangId(text) + "\n");
  std::vector<std::pair<fasttext::real, std::string>> p;
  ft_->predictLine(in, p, 1, 0.0);
  LangIdPrediction out;
  if (p.empty()) return out;
  out.language = p[0].second.substr(std::min(p[0].second.size(), std::string_view(kLabelPrefix).size()));
  out.score = std::min(1.0f, static_cast<float>(p[0].first));
  return out;
}

std::vector<std::string> LanguageId::languages() const {
  std::shared_ptr<const fasttext::Dictionary> d = ft_->getDictionary();
  std::vector<std::string> out;
  for (int32_t i = 0; i < d->nlabels(); ++i)
    out.push_back(d->getLabel(i).substr(std::string_view(kLabelPrefix).size()));
  std::sort(out.begin(), out.end());
  return out;
}

StatusOr<std::vector<LabelledText>> ReadLabelledFolders(const std::string& root) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(root))
    return NotFoundError("{} is not a folder of per-language folders (root/<language>/<files>)", root);
  std::vector<fs::path> langs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) langs.push_back(e.path());
  std::sort(langs.begin(), langs.end());
  std::vector<LabelledText> out;
  for (const fs::path& dir : langs) {
    // A language's folder is a pipeline input of fortune files (data/readers.h).
    InputConfig in;
    in.source = dir.filename().string();
    in.path = dir.string();
    in.separator = std::string("%");  // not = "%": GCC 12 -O3 warns (-Wrestrict false positive)
    in.strict = true;
    ReadStats stats;
    RETURN_IF_ERROR(ReadInput(in, &stats, [&](Document&& d) {
      if (d.text.back() != '\n') d.text.push_back('\n');  // every record ends its last line
      out.push_back({in.source, std::move(d.text)});
    }));
  }
  if (out.empty()) return InvalidArgumentError("{} holds no labelled text", root);
  return out;
}

void SplitHoldout(const std::vector<LabelledText>& all, double fraction, uint64_t salt,
                  std::vector<LabelledText>* train, std::vector<LabelledText>* test) {
  const uint64_t cut = static_cast<uint64_t>(std::clamp(fraction, 0.0, 1.0) * 18446744073709551615.0);
  for (const LabelledText& t : all) {
    const uint64_t h = XXH64(t.text.data(), t.text.size(), salt);
    (h < cut ? test : train)->push_back(t);
  }
}

LangIdAccuracy Evaluate(const LanguageId& model, const std::vector<LabelledText>& test) {
  std::map<std::string, std::pair<int64_t, int64_t>> per;
  int64_t correct = 0;
  for (const LabelledText& t : test) {
    const bool ok = model.Predict(t.text).language == t.label;
    correct += ok;
    auto& p = per[t.label];
    p.first += ok;
    p.second += 1;
  }
  LangIdAccuracy a;
  a.n = static_cast<int64_t>(test.size());
  a.overall = a.n ? static_cast<double>(correct) / static_cast<double>(a.n) : 0.0;
  a.per_language.assign(per.begin(), per.end());
  return a;
}

}  // namespace seek
