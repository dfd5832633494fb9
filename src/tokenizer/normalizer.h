// tokenizer/normalizer.h — the "normalizer" section of tokenizer.json.
//
// Supported (with the reference's semantics, transformers.js):
//   NFC, NFD, NFKC, NFKD   Unicode normalisation (ICU)
//   Lowercase              full Unicode lowercasing (String.toLowerCase)
//   StripAccents           removes combining marks (\p{M})
//   Strip                  strip_left / strip_right of JavaScript whitespace
//   Replace                pattern {"String": s} or {"Regex": r} -> content
//   Prepend                prepend + text (every non-empty section)
//   Sequence               of these, in order
// Anything else (BertNormalizer, Precompiled, ...) is rejected with
// UnimplementedError naming it, never approximated.
//
// Thread-safety: immutable after construction; Apply may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

class Normalizer {
 public:
  Normalizer();
  ~Normalizer();
  Normalizer(Normalizer&&) noexcept;
  Normalizer& operator=(Normalizer&&) noexcept;

  // `config` may be null (no normalizer). `file` names the source in errors.
  static StatusOr<Normalizer> FromJson(const nlohmann::json& config, const std::string& file);
  // `text` must be valid UTF-8; the result is valid UTF-8.
  StatusOr<std::string> Apply(std::string text) const;
  bool empty() const { return steps_.empty(); }

 private:
  struct Step;
  std::vector<Step> steps_;  // applied in order
};

}  // namespace seek
