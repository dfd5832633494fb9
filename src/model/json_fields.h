// model/json_fields.h — typed, named reads of fields from a JSON object
// (HF config.json, the training config). io/json_options.h is the stricter
// reader of option overrides the data stages use; one should absorb the other.
//
// Each read checks the type and reports "<source>: field 'key' must be an
// integer, got "abc"". Keys read are remembered so the caller can keep the
// rest (HF config.json carries many keys Seek does not use) or reject them.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

class JsonFields {
 public:
  JsonFields(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}

  // With a default, an absent (or null) key takes it; without, absence is an error.
  Status Int(const std::string& key, int64_t* out, std::optional<int64_t> def = std::nullopt);
  Status Double(const std::string& key, double* out, std::optional<double> def = std::nullopt);
  Status Bool(const std::string& key, bool* out, std::optional<bool> def = std::nullopt);
  Status String(const std::string& key, std::string* out,
                std::optional<std::string> def = std::nullopt);
  // Marks a key as handled without reading it.
  void Consume(const std::string& key) { used_.insert(key); }
  // The keys not read so far, as an object.
  nlohmann::json Unused() const;
  const std::string& source() const { return source_; }

 private:
  const nlohmann::json* Find(const std::string& key);
  const nlohmann::json& j_;
  std::string source_;
  std::set<std::string> used_;
};

}  // namespace seek
