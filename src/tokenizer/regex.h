// tokenizer/regex.h — the Unicode regular expressions of tokenizer.json
// pre-tokenizers, compiled with PCRE2 (UTF + UCP, JIT).
//
// Patterns are written for Hugging Face tokenizers and run by the reference
// (transformers.js) as JavaScript regexes. Two rewrites keep PCRE2 identical
// to it on the patterns real models use:
//   - `\s`/`\S` mean the JavaScript whitespace set (White_Space plus U+FEFF,
//     minus U+0085), not PCRE2's;
//   - `(?i:'s|'t|'re|'ve|'m|'ll|'d)` becomes the explicit ASCII-case form
//     transformers.js uses (so U+017F "ſ" does not match 's').
// `\S` inside a character class cannot be rewritten and is rejected.
//
// Patterns with a hand-written scanner (regex_fast.h) are matched by it;
// PCRE2 is still compiled as its reference twin (FindAllPcre2).
//
// Thread-safety: a compiled Regex is immutable; FindAll may be called from
// many threads at once (match data and JIT stacks are per thread).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "tokenizer/regex_fast.h"

namespace seek {

class Regex {
 public:
  // `what` names the pattern's place in the file for error messages.
  static StatusOr<std::unique_ptr<Regex>> Compile(const std::string& pattern, const std::string& what);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Every non-empty match, left to right, as [begin, end) byte offsets into
  // `text` (valid UTF-8). After an empty match the search resumes one code
  // point further on, as JavaScript's matchAll does.
  StatusOr<std::vector<std::pair<size_t, size_t>>> FindAll(std::string_view text) const;
  // The same matches, written to `*matches` (cleared first; its capacity is
  // reused, so a caller looping over many texts does not allocate).
  Status FindAll(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;

  // FindAll always through PCRE2: the reference twin of the fast scanners.
  Status FindAllPcre2(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;
  // True if FindAll uses a hand-written scanner (regex_fast.h) for this pattern.
  bool has_fast_path() const { return fast_ != FastPattern::kNone; }

  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  std::string pattern_;  // as written in tokenizer.json
  std::string what_;
  void* code_ = nullptr;  // pcre2_code_8*
  bool jit_ = false;      // JIT-compiled: matched with pcre2_jit_match
  FastPattern fast_ = FastPattern::kNone;
};

// The PCRE2 form of a tokenizer.json pattern (see the rewrites above).
StatusOr<std::string> TranslatePattern(const std::string& pattern, const std::string& what);

}  // namespace seek
