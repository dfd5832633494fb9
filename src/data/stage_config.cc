// data/stage_config.cc — see stage_config.h.
#include "data/stage_config.h"

#include <algorithm>

namespace seek {
namespace {

const char* JsonTypeName(const nlohmann::json& j) { return j.type_name(); }

}  // namespace

ConfigBinder& ConfigBinder::Number(std::string key, double* field, std::optional<double> null_value) {
  keys_.emplace_back(std::move(key), [field, null_value](const nlohmann::json& v, const std::string& where) {
    if (v.is_null() && null_value) {
      *field = *null_value;
      return Status::Ok();
    }
    if (!v.is_number())
      return InvalidArgumentError("{} must be a number{}, got {} {}", where, null_value ? " or null" : "",
                                  JsonTypeName(v), v.dump());
    *field = v.get<double>();
    return Status::Ok();
  });
  return *this;
}

ConfigBinder& ConfigBinder::Int(std::string key, int64_t* field, std::optional<int64_t> null_value) {
  keys_.emplace_back(std::move(key), [field, null_value](const nlohmann::json& v, const std::string& where) {
    if (v.is_null() && null_value) {
      *field = *null_value;
      return Status::Ok();
    }
    if (!v.is_number_integer())
      return InvalidArgumentError("{} must be an integer{}, got {} {}", where, null_value ? " or null" : "",
                                  JsonTypeName(v), v.dump());
    *field = v.get<int64_t>();
    return Status::Ok();
  });
  return *this;
}

ConfigBinder& ConfigBinder::Bool(std::string key, bool* field) {
  keys_.emplace_back(std::move(key), [field](const nlohmann::json& v, const std::string& where) {
    if (!v.is_boolean()) return InvalidArgumentError("{} must be true or false, got {}", where, v.dump());
    *field = v.get<bool>();
    return Status::Ok();
  });
  return *this;
}

ConfigBinder& ConfigBinder::Strings(std::string key, std::vector<std::string>* field) {
  keys_.emplace_back(std::move(key), [field](const nlohmann::json& v, const std::string& where) {
    std::vector<std::string> out;
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_array()) {
      for (const auto& e : v) {
        if (!e.is_string()) return InvalidArgumentError("{} must hold strings, got {}", where, e.dump());
        out.push_back(e.get<std::string>());
      }
    } else {
      return InvalidArgumentError("{} must be a string or an array of strings, got {}", where, v.dump());
    }
    *field = std::move(out);
    return Status::Ok();
  });
  return *this;
}

ConfigBinder& ConfigBinder::IntNumberPairs(std::string key, std::vector<std::pair<int, double>>* field) {
  keys_.emplace_back(std::move(key), [field](const nlohmann::json& v, const std::string& where) {
    std::vector<std::pair<int, double>> out;
    const auto bad = [&] {
      return InvalidArgumentError("{} must be an array of [n, fraction] pairs with n >= 1, got {}", where, v.dump());
    };
    if (!v.is_array()) return bad();
    for (const auto& e : v) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_number_integer() || !e[1].is_number() || e[0].get<int>() < 1)
        return bad();
      out.emplace_back(e[0].get<int>(), e[1].get<double>());
    }
    *field = std::move(out);
    return Status::Ok();
  });
  return *this;
}

Status ConfigBinder::Apply(const nlohmann::json& overrides) const {
  if (overrides.is_null()) return Status::Ok();
  if (!overrides.is_object())
    return InvalidArgumentError("stage {}: overrides must be a JSON object, got {}", stage_, overrides.dump());
  for (const auto& [key, value] : overrides.items()) {
    const auto it = std::find_if(keys_.begin(), keys_.end(), [&](const auto& k) { return k.first == key; });
    if (it == keys_.end()) {
      std::string known;
      for (const auto& k : keys_) known += (known.empty() ? "" : ", ") + k.first;
      return InvalidArgumentError("stage {}: unknown key \"{}\" (known keys: {})", stage_, key, known);
    }
    RETURN_IF_ERROR(it->second(value, fmt::format("stage {}: key \"{}\"", stage_, key)));
  }
  return Status::Ok();
}

}  // namespace seek
