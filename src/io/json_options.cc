#include "io/json_options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace seek {

Status JsonOptions::CheckObject() const {
  if (object_.is_object()) return Status::Ok();
  return InvalidArgumentError("{}: expected a JSON object, got {}", where_, object_.dump());
}

const nlohmann::json* JsonOptions::Find(const std::string& key) {
  known_.insert(key);
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

Status JsonOptions::ReadBool(const std::string& key, bool* out) {
  const nlohmann::json* v = Find(key);
  if (!v) return Status::Ok();
  if (!v->is_boolean())
    return InvalidArgumentError("{} = {}: expected true or false", Path(key), v->dump());
  *out = v->get<bool>();
  return Status::Ok();
}

Status JsonOptions::ReadInt(const std::string& key, int64_t min, int64_t max, int* out) {
  const nlohmann::json* v = Find(key);
  if (!v) return Status::Ok();
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max ||
      (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)))
    return InvalidArgumentError("{} = {}: expected an integer in [{}, {}]", Path(key), v->dump(),
                                min, max);
  *out = static_cast<int>(v->get<int64_t>());
  return Status::Ok();
}

Status JsonOptions::ReadUint64(const std::string& key, uint64_t* out) {
  const nlohmann::json* v = Find(key);
  if (!v) return Status::Ok();
  if (!v->is_number_unsigned())
    return InvalidArgumentError("{} = {}: expected a non-negative integer", Path(key), v->dump());
  *out = v->get<uint64_t>();
  return Status::Ok();
}

Status JsonOptions::ReadDouble(const std::string& key, double min, double max, double* out) {
  const nlohmann::json* v = Find(key);
  if (!v) return Status::Ok();
  if (!v->is_number() || v->get<double>() < min || v->get<double>() > max)
    return InvalidArgumentError("{} = {}: expected a number in [{}, {}]", Path(key), v->dump(), min,
                                max);
  *out = v->get<double>();
  return Status::Ok();
}

Status JsonOptions::ReadStringList(const std::string& key, std::vector<std::string>* out) {
  const nlohmann::json* v = Find(key);
  if (!v) return Status::Ok();
  std::vector<std::string> list;
  if (v->is_array()) {
    for (const auto& e : *v) {
      if (!e.is_string()) break;
      list.push_back(e.get<std::string>());
    }
  }
  if (!v->is_array() || list.size() != v->size())
    return InvalidArgumentError("{} = {}: expected an array of strings", Path(key), v->dump());
  *out = std::move(list);
  return Status::Ok();
}

const nlohmann::json* JsonOptions::Nested(const std::string& key) {
  return Find(key);
}

Status JsonOptions::Finish() const {
  for (const auto& [key, value] : object_.items()) {
    if (!known_.count(key))
      return InvalidArgumentError("{}: unknown key '{}' (valid keys: {})", where_, key,
                                  fmt::join(known_, ", "));
  }
  return Status::Ok();
}

}  // namespace seek
