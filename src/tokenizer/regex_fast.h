// tokenizer/regex_fast.h — hand-written scanners for the split patterns of
// DeepSeek-V3's tokenizer.json, used in place of PCRE2 when a pattern string
// is exactly one of them (Regex::Compile selects it; PCRE2 stays the
// reference twin, and fast_path_test.cc checks both give the same matches on
// fresh random text from many scripts and on the parity corpus).
//
// The Unicode classes the scanners test (\p{L}, \p{M}, \p{N}, \p{P}, \p{S})
// are read out of PCRE2 itself once per process (UnicodeClasses), so the two
// agree on every code point; `\s` is JavaScript's set, as in regex.h.
//
// Thread-safety: all functions are pure; the class table is built once,
// thread-safely, on first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

namespace seek {

enum class FastPattern {
  kNone,
  kDeepSeekDigits,  // \p{N}{1,3}
  kDeepSeekCjk,     // [一-龥぀-ゟ゠-ヿ]+
  kDeepSeekWords,   // the letters / punctuation / whitespace pattern
};

// The fast scanner for `pattern` (as written in tokenizer.json), or kNone.
FastPattern SelectFastPattern(std::string_view pattern);

// Same contract as Regex::FindAll: every non-empty match, left to right, of
// the pattern in `text` (valid UTF-8), written to `*matches` (cleared first).
void FastFindAll(FastPattern pattern, std::string_view text, std::vector<std::pair<size_t, size_t>>* matches);

// Per-code-point class bits, taken from PCRE2's Unicode tables.
class UnicodeClasses {
 public:
  enum : uint8_t { kL = 1, kM = 2, kN = 4, kP = 8, kS = 16, kSpace = 32 /* JavaScript \s */ };
  static const UnicodeClasses& Get();
  uint8_t OfAscii(uint32_t cp) const { return ascii_[cp]; }  // cp < 0x80
  uint8_t Of(uint32_t cp) const {
    return cp < 0x110000 ? blocks_[(static_cast<size_t>(index_[cp >> 8]) << 8) | (cp & 0xFF)] : 0;
  }

 private:
  UnicodeClasses();
  std::vector<uint16_t> index_;  // [0x1100]: block of each 256-code-point page
  std::vector<uint8_t> blocks_;  // distinct pages, 256 entries each
  uint8_t ascii_[0x80] = {};
};

}  // namespace seek
