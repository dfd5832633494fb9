#include "data/langid.h"

#include <algorithm>
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

LanguageId::LanguageId() : ft_(std::make_unique<fasttext::FastText>()) {}
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
