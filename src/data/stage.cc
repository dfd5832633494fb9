#include "data/stage.h"

#include "data/text_stage.h"

#include <algorithm>

#include <fmt/format.h>

namespace seek {
namespace {

const std::map<std::string, StageFactory>& Registry() {
  static const auto* r = new std::map<std::string, StageFactory>{
      {"langid", MakeLangIdStage},
      {"dedup", MakeDedupStage},
      {"balance", MakeBalanceStage},
  };
  return *r;
}

StatusOr<Stage> MakeStageFromOptions(const std::string& name, const nlohmann::json& options, const std::string& where);

}  // namespace

bool Stage::Applies(const Document& d) const {
  return sources.empty() || std::find(sources.begin(), sources.end(), d.source) != sources.end();
}

std::vector<std::string> StageNames() {
  std::vector<std::string> out = TextStageNames();
  for (const auto& [name, f] : Registry()) out.push_back(name);
  return out;
}

StatusOr<Stage> MakeStage(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("stage") || !j["stage"].is_string())
    return InvalidArgumentError("{}: a stage is an object {{\"stage\": NAME, ...options}}", where);
  const std::string name = j["stage"].get<std::string>();
  nlohmann::json options = j;
  options.erase("stage");
  std::vector<std::string> sources;
  if (options.contains("sources")) {
    ASSIGN_OR_RETURN(sources, StageOption<std::vector<std::string>>(options, "sources", {}, where));
    options.erase("sources");
  }
  ASSIGN_OR_RETURN(Stage s, MakeStageFromOptions(name, options, where));
  s.sources = std::move(sources);
  return s;
}

namespace {

StatusOr<Stage> MakeStageFromOptions(const std::string& name, const nlohmann::json& options, const std::string& where) {
  const std::vector<std::string>& text = TextStageNames();
  if (std::find(text.begin(), text.end(), name) != text.end()) {
    StatusOr<std::unique_ptr<TextStage>> t = MakeTextStage(name, options);
    if (!t.ok()) return InvalidArgumentError("{}: {}", where, t.status().message());
    Stage s;
    s.name = name;
    s.document = std::move(*t);
    return s;
  }
  auto it = Registry().find(name);
  if (it == Registry().end())
    return InvalidArgumentError("{}: unknown stage '{}' (known: {})", where, name, fmt::join(StageNames(), ", "));
  ASSIGN_OR_RETURN(Stage s, it->second(options, where));
  s.name = name;
  return s;
}

}  // namespace

Status CheckStageKeys(const nlohmann::json& options, const std::vector<std::string>& known, const std::string& where) {
  for (const auto& [key, v] : options.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      return InvalidArgumentError("{}: unknown option '{}' (known: {})", where, key,
                                  known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", ")));
  return Status::Ok();
}

}  // namespace seek
