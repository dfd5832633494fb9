// io/json_options.h — strict reading of a JSON object of config overrides.
//
// Each Read* call names a known key; a key that is present is type- and
// range-checked into *out, an absent one leaves *out as it was (the default).
// Finish() then rejects every key that no Read* call named, listing the
// valid ones. Messages name the key with its path ("dedup.minhash.n_grams").
// Thread-safety: one reader per thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace seek {

class JsonOptions {
 public:
  // `where` is the object's path, used as the prefix of key names.
  JsonOptions(const nlohmann::json& object, std::string where)
      : object_(object), where_(std::move(where)) {}

  Status CheckObject() const;  // an error unless the value is a JSON object
  Status ReadBool(const std::string& key, bool* out);
  Status ReadInt(const std::string& key, int64_t min, int64_t max, int* out);
  Status ReadUint64(const std::string& key, uint64_t* out);
  Status ReadDouble(const std::string& key, double min, double max, double* out);
  Status ReadStringList(const std::string& key, std::vector<std::string>* out);
  // The nested value of `key` (nullptr when absent), marked as known.
  const nlohmann::json* Nested(const std::string& key);
  Status Finish() const;

  std::string Path(const std::string& key) const { return where_ + "." + key; }

 private:
  const nlohmann::json* Find(const std::string& key);

  const nlohmann::json& object_;
  std::string where_;
  std::set<std::string> known_;
};

}  // namespace seek
