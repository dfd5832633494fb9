// data/text_stage.cc — see text_stage.h.
#include "data/text_stage.h"

#include "data/filter_c4.h"
#include "data/filter_fineweb.h"
#include "data/filter_gopher_quality.h"
#include "data/filter_gopher_repetition.h"
#include "data/normalize.h"
#include "data/pii.h"

namespace seek {
namespace {

template <typename Stage>
StatusOr<std::unique_ptr<TextStage>> Make(const nlohmann::json& overrides) {
  ASSIGN_OR_RETURN(Stage stage, Stage::FromJson(overrides));
  return std::unique_ptr<TextStage>(std::make_unique<Stage>(std::move(stage)));
}

}  // namespace

const std::vector<std::string>& TextStageNames() {
  static const std::vector<std::string> names = {"normalize",         "pii", "gopher_quality",
                                                 "gopher_repetition", "c4",  "fineweb"};
  return names;
}

StatusOr<std::unique_ptr<TextStage>> MakeTextStage(std::string_view name, const nlohmann::json& overrides) {
  if (name == "normalize") return Make<NormalizeStage>(overrides);
  if (name == "pii") return Make<PiiFormatter>(overrides);
  if (name == "gopher_quality") return Make<GopherQualityFilter>(overrides);
  if (name == "gopher_repetition") return Make<GopherRepetitionFilter>(overrides);
  if (name == "c4") return Make<C4Filter>(overrides);
  if (name == "fineweb") return Make<FineWebFilter>(overrides);
  std::string known;
  for (const std::string& n : TextStageNames()) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgumentError("unknown text stage \"{}\" (known: {})", name, known);
}

}  // namespace seek
