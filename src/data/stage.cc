#include "data/stage.h"

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

}  // namespace

std::vector<std::string> StageNames() {
  std::vector<std::string> out;
  for (const auto& [name, f] : Registry()) out.push_back(name);
  return out;
}

StatusOr<Stage> MakeStage(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("stage") || !j["stage"].is_string())
    return InvalidArgumentError("{}: a stage is an object {{\"stage\": NAME, ...options}}", where);
  const std::string name = j["stage"].get<std::string>();
  auto it = Registry().find(name);
  if (it == Registry().end())
    return InvalidArgumentError("{}: unknown stage '{}' (known: {})", where, name, fmt::join(StageNames(), ", "));
  nlohmann::json options = j;
  options.erase("stage");
  ASSIGN_OR_RETURN(Stage s, it->second(options, where));
  s.name = name;
  return s;
}

Status CheckStageKeys(const nlohmann::json& options, const std::vector<std::string>& known, const std::string& where) {
  for (const auto& [key, v] : options.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      return InvalidArgumentError("{}: unknown option '{}' (known: {})", where, key,
                                  known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", ")));
  return Status::Ok();
}

}  // namespace seek
