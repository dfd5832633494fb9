// data/stage_config.h — reads a text stage's JSON object of overrides into
// its config struct: each stage names its keys once, with a pointer to the
// field, and ConfigBinder checks types and rejects unknown keys by name.
//
//   GopherQualityConfig c;
//   ConfigBinder b("gopher_quality");
//   b.Int("min_doc_words", &c.min_doc_words, /*null_value=*/0);
//   RETURN_IF_ERROR(b.Apply(overrides));
//
// A key set to null takes the field's `null_value` — the value that turns a
// rule off, as None does in datatrove. Errors name the stage and the key and
// say what would be valid. Thread-safety: a binder is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

class ConfigBinder {
 public:
  explicit ConfigBinder(std::string stage) : stage_(std::move(stage)) {}

  ConfigBinder& Number(std::string key, double* field, std::optional<double> null_value = std::nullopt);
  ConfigBinder& Int(std::string key, int64_t* field, std::optional<int64_t> null_value = std::nullopt);
  ConfigBinder& Bool(std::string key, bool* field);
  ConfigBinder& Strings(std::string key, std::vector<std::string>* field);
  // [[n, fraction], ...] pairs such as Gopher's n-gram thresholds.
  ConfigBinder& IntNumberPairs(std::string key, std::vector<std::pair<int, double>>* field);

  // `overrides` must be an object (or null: nothing to override).
  Status Apply(const nlohmann::json& overrides) const;

 private:
  using Setter = std::function<Status(const nlohmann::json&, const std::string& where)>;
  std::string stage_;
  std::vector<std::pair<std::string, Setter>> keys_;  // in declaration order, for messages
};

}  // namespace seek
