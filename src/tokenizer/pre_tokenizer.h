// tokenizer/pre_tokenizer.h — the "pre_tokenizer" section of tokenizer.json.
//
// Supported: null, Split (Regex or String pattern, behavior
// Isolated or Removed, invert false), ByteLevel (add_prefix_space, use_regex),
// Digits (individual_digits; ASCII digits, as the reference's JavaScript \d),
// Metaspace (replacement, add_prefix_space, prepend_scheme; like
// transformers.js it never splits, whatever "split" says), Sequence of these. Anything else is rejected with UnimplementedError naming
// the component and value, never approximated.
//
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  // `first_section`: the text is the first section of the input (before
  // any added token), which Metaspace's prepend_scheme "first" looks at.
  StatusOr<std::vector<std::string>> Split(const std::string& text, bool first_section = true) const;

  // Calls `word` on each word Split would return, in order, without copying
  // the text: the views point into `text` or into scratch storage valid only
  // during the call. With `raw_bytes` (only if ends_in_byte_level()) the last
  // step's byte-level mapping is skipped, so the words are raw bytes of the
  // text; ByteLevelAlphabet::EncodeBytes(word) is what Split would return.
  Status ForEachWord(std::string_view text, bool raw_bytes, const std::function<void(std::string_view word)>& word,
                     bool first_section = true) const;

  // True if some step maps bytes to the byte-level alphabet.
  bool byte_level() const;
  // True if the last step is ByteLevel and no earlier one is.
  bool ends_in_byte_level() const;

 private:
  struct Step;
  struct Scratch;
  Status Run(size_t step, std::string_view piece, bool raw_bytes, Scratch& scratch,
             const std::function<void(std::string_view)>& word) const;
  std::vector<Step> steps_;
};

}  // namespace seek
