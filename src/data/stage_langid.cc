// The `langid` stage: tags every document with its language and score
// (fastText, data/langid.h) and keeps those that pass the rule:
//   {"stage": "langid", "model": "data/langid/langid.bin",
//    "languages": ["en", "de"] (default: all), "min_score": 0.5 (default 0)}
// Drop reasons: "langid_language" (not in `languages`), "langid_score".
#include <algorithm>

#include "data/langid.h"
#include "data/stage.h"

namespace seek {
namespace {

class LangIdStage : public DocumentStage {
 public:
  LangIdStage(std::unique_ptr<LanguageId> model, std::vector<std::string> languages, double min_score)
      : model_(std::move(model)), languages_(std::move(languages)), min_score_(min_score) {}

  Verdict Apply(Document* doc) const override {
    const LangIdPrediction p = model_->Predict(doc->text);
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
};

}  // namespace

StatusOr<Stage> MakeLangIdStage(const nlohmann::json& o, const std::string& where) {
  RETURN_IF_ERROR(CheckStageKeys(o, {"model", "languages", "min_score"}, where));
  ASSIGN_OR_RETURN(std::string path, StageOption<std::string>(o, "model", "data/langid/langid.bin", where));
  ASSIGN_OR_RETURN(std::vector<std::string> languages,
                   StageOption<std::vector<std::string>>(o, "languages", {}, where));
  ASSIGN_OR_RETURN(double min_score, StageOption<double>(o, "min_score", 0.0, where));
  if (min_score < 0 || min_score > 1)
    return InvalidArgumentError("{}.min_score {} must be in [0, 1]", where, min_score);
  ASSIGN_OR_RETURN(std::unique_ptr<LanguageId> model, LanguageId::Load(path));
  Stage s;
  s.document = std::make_unique<LangIdStage>(std::move(model), std::move(languages), min_score);
  return s;
}

}  // namespace seek
