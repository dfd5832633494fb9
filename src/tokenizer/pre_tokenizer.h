// tokenizer/pre_tokenizer.h — the "pre_tokenizer" section of tokenizer.json.
//
// Supported: null, Split (Regex or String pattern, behavior
// Isolated or Removed, invert false), ByteLevel (add_prefix_space, use_regex),
// Sequence of these. Anything else is rejected with UnimplementedError naming
// the component and value, never approximated.
//
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace seek {

class PreTokenizer {
 public:
  static StatusOr<std::unique_ptr<PreTokenizer>> FromJson(const nlohmann::json& config, const std::string& file);
  ~PreTokenizer();

  // Splits one section of text (between added tokens, after normalisation)
  // into words. After a ByteLevel step the words are in the byte-level
  // alphabet. Without any step the section is one word.
  StatusOr<std::vector<std::string>> Split(const std::string& text) const;

  // True if some step maps bytes to the byte-level alphabet.
  bool byte_level() const;

 private:
  struct Step;
  std::vector<Step> steps_;
};

}  // namespace seek
