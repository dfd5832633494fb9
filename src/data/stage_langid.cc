// The `langid` stage: tags every document with its language and score
// (fastText, data/langid.h) and keeps those that pass the rule:
//   {"stage": "langid", "model": "data/langid/langid.bin",
//    "languages": ["en", "de"] (default: all), "min_score": 0.5 (default 0),
//    "max_bytes": 65536 (the language of the first 64 KiB stands for the document's; 0: all)}
// Drop reasons: "langid_language" (not in `languages`), "langid_score".
#include <algorithm>

#include "data/langid.h"
#include "data/stage.h"

namespace seek {
namespace {

class LangIdStage : public DocumentStage {
 public:
  LangIdStage(std::unique_ptr<LanguageId> model, std::vector<std::string> languages, double min_score,
              int64_t max_bytes)
      : model_(std::move(model)), languages_(std::move(languages)), min_score_(min_score), max_bytes_(max_bytes) {}

  Verdict Apply(Document* doc) const override {
    std::string_view text = doc->text;
    if (max_bytes_ > 0 && static_cast<int64_t>(text.size()) > max_bytes_) {
      size_t cut = static_cast<size_t>(max_bytes_);
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
      text = text.substr(0, cut);
    }
    const LangIdPrediction p = model_->Predict(text);
    doc->language = p.language;
    doc->metadata["language_score"] = p.score;
    if (!languages_.empty() && std::find(languages_.begin(), languages_.end(), p.language) == languages_.end())
      return Verdict::Drop("langid_language");
    if (p.score < min_score_) return Verdict::Drop("langid_score");
    return Verdict::Keep();
  }

 private:
  std::unique_ptr<LanguageId> model_;
  std::vector<std::string> languages_;
  double min_score_;
  int64_t max_bytes_;
};

}  // namespace

StatusOr<Stage> MakeLangIdStage(const nlohmann::json& o, const std::string& where) {
  RETURN_IF_ERROR(CheckStageKeys(o, {"model", "languages", "min_score", "max_bytes"}, where));
  ASSIGN_OR_RETURN(int64_t max_bytes, StageOption<int64_t>(o, "max_bytes", 65536, where));
  if (max_bytes < 0) return InvalidArgumentError("{}.max_bytes {} must be >= 0 (0: whole documents)", where, max_bytes);
  ASSIGN_OR_RETURN(std::string path, StageOption<std::string>(o, "model", "data/langid/langid.bin", where));
  ASSIGN_OR_RETURN(std::vector<std::string> languages,
                   StageOption<std::vector<std::string>>(o, "languages", {}, where));
  ASSIGN_OR_RETURN(double min_score, StageOption<double>(o, "min_score", 0.0, where));
  if (min_score < 0 || min_score > 1)
    return InvalidArgumentError("{}.min_score {} must be in [0, 1]", where, min_score);
  ASSIGN_OR_RETURN(std::unique_ptr<LanguageId> model, LanguageId::Load(path));
  Stage s;
  s.document = std::make_unique<LangIdStage>(std::move(model), std::move(languages), min_score, max_bytes);
  return s;
}

}  // namespace seek
