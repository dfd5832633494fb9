#include "model/json_fields.h"

#include <cmath>

namespace seek {

const nlohmann::json* JsonFields::Find(const std::string& key) {
  used_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

Status JsonFields::Int(const std::string& key, int64_t* out, std::optional<int64_t> def) {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) {
    if (!def) return InvalidArgumentError("{}: required field '{}' is missing", source_, key);
    *out = *def;
    return Status::Ok();
  }
  if (v->is_number_integer()) {
    *out = v->get<int64_t>();
    return Status::Ok();
  }
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9e15) {
      *out = static_cast<int64_t>(d);
      return Status::Ok();
    }
  }
  return InvalidArgumentError("{}: field '{}' must be an integer, got {}", source_, key, v->dump());
}

Status JsonFields::Double(const std::string& key, double* out, std::optional<double> def) {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) {
    if (!def) return InvalidArgumentError("{}: required field '{}' is missing", source_, key);
    *out = *def;
    return Status::Ok();
  }
  if (!v->is_number())
    return InvalidArgumentError("{}: field '{}' must be a number, got {}", source_, key, v->dump());
  *out = v->get<double>();
  if (!std::isfinite(*out))
    return InvalidArgumentError("{}: field '{}' must be finite, got {}", source_, key, v->dump());
  return Status::Ok();
}

Status JsonFields::Bool(const std::string& key, bool* out, std::optional<bool> def) {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) {
    if (!def) return InvalidArgumentError("{}: required field '{}' is missing", source_, key);
    *out = *def;
    return Status::Ok();
  }
  if (!v->is_boolean())
    return InvalidArgumentError("{}: field '{}' must be true or false, got {}", source_, key,
                                v->dump());
  *out = v->get<bool>();
  return Status::Ok();
}

Status JsonFields::String(const std::string& key, std::string* out,
                          std::optional<std::string> def) {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) {
    if (!def) return InvalidArgumentError("{}: required field '{}' is missing", source_, key);
    *out = *def;
    return Status::Ok();
  }
  if (!v->is_string())
    return InvalidArgumentError("{}: field '{}' must be a string, got {}", source_, key, v->dump());
  *out = v->get<std::string>();
  return Status::Ok();
}

nlohmann::json JsonFields::Unused() const {
  nlohmann::json rest = nlohmann::json::object();
  for (auto it = j_.begin(); it != j_.end(); ++it)
    if (!used_.count(it.key())) rest[it.key()] = it.value();
  return rest;
}

}  // namespace seek
