// tokenizer/regex_fast.cc — see regex_fast.h.
#include "tokenizer/regex_fast.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "tokenizer/unicode.h"

namespace seek {
namespace {

// The patterns exactly as DeepSeek-V3's tokenizer.json spells them (the CR
// and LF inside the classes are literal characters there).
const std::string& DeepSeekDigits() {
  static const std::string p = R"(\p{N}{1,3})";
  return p;
}
const std::string& DeepSeekCjk() {
  static const std::string p = "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+";
  return p;
}
const std::string& DeepSeekWords() {
  static const std::string p = R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^)" "\r\n"
                               R"(\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[)" "\r\n"
                               R"(]*|\s*[)" "\r\n" R"(]+|\s+(?!\S)|\s+)";
  return p;
}

// JavaScript's \s: WhiteSpace + LineTerminator (the set regex.cc uses).
bool IsJsSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

// Decodes the code point at text[i] (valid UTF-8) and its length.
inline uint32_t Decode(std::string_view text, size_t i, size_t* len) {
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(text[k])); };
  const uint32_t c = b(i);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  if (c < 0xE0) {
    *len = 2;
    return ((c & 0x1F) << 6) | (b(i + 1) & 0x3F);
  }
  if (c < 0xF0) {
    *len = 3;
    return ((c & 0x0F) << 12) | ((b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F);
  }
  *len = 4;
  return ((c & 0x07) << 18) | ((b(i + 1) & 0x3F) << 12) | ((b(i + 2) & 0x3F) << 6) | (b(i + 3) & 0x3F);
}

bool IsAsciiLetter(uint32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool IsAsciiPunct(uint32_t c) {  // [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}
bool IsCrLf(uint32_t c) { return c == '\r' || c == '\n'; }
bool IsCjk(uint32_t c) { return (c >= 0x4E00 && c <= 0x9FA5) || (c >= 0x3040 && c <= 0x30FF); }

// Class bits of the code point at text[i]; 0 past the end.
struct Cursor {
  std::string_view text;
  const UnicodeClasses& classes;
  uint32_t cp = 0;
  uint8_t bits = 0;
  size_t len = 0;
  // Reads the code point at i; false (cp = 0, bits = 0) past the end.
  bool At(size_t i) {
    if (i >= text.size()) {
      cp = 0;
      bits = 0;
      len = 0;
      return false;
    }
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      cp = static_cast<uint8_t>(text[i]);
      bits = classes.OfAscii(cp);
      len = 1;
      return true;
    }
    cp = Decode(text, i, &len);
    bits = classes.Of(cp);
    return true;
  }
};

// End of the run of code points from `i` whose class bits intersect `mask`.
size_t RunOf(Cursor& c, size_t i, uint8_t mask) {
  while (c.At(i) && (c.bits & mask)) i += c.len;
  return i;
}

// The DeepSeek words pattern at position p: the end of the match, or p if
// no alternative matches there.
size_t MatchWords(Cursor& c, size_t p) {
  using U = UnicodeClasses;
  const size_t n = c.text.size();
  c.At(p);
  const uint32_t c0 = c.cp;
  const uint8_t b0 = c.bits;
  const size_t q = p + c.len;
  const bool has1 = c.At(q);
  const uint32_t c1 = c.cp;
  const uint8_t b1 = c.bits;
  // [ASCII punctuation][A-Za-z]+
  if (c0 < 0x80 && IsAsciiPunct(c0) && has1 && IsAsciiLetter(c1)) {
    size_t e = q;
    while (e < n && IsAsciiLetter(static_cast<uint8_t>(c.text[e]))) ++e;
    return e;
  }
  // [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
  const bool optional = !IsCrLf(c0) && !(b0 & (U::kL | U::kP | U::kS));
  if (optional && (b1 & (U::kL | U::kM))) return RunOf(c, q, U::kL | U::kM);
  if (b0 & (U::kL | U::kM)) return RunOf(c, p, U::kL | U::kM);
  //  ?[\p{P}\p{S}]+[\r\n]*
  size_t start = p;
  if (c0 == ' ' && (b1 & (U::kP | U::kS))) start = q;
  else if (!(b0 & (U::kP | U::kS))) start = n + 1;
  if (start <= n) {
    size_t e = RunOf(c, start, U::kP | U::kS);
    while (e < n && (c.text[e] == '\r' || c.text[e] == '\n')) ++e;
    return e;
  }
  if (!(b0 & U::kSpace)) return p;
  // \s*[\r\n]+ : up to the last CR/LF of the whitespace run, if any.
  size_t last_crlf = n, last_start = p, e = p;
  while (c.At(e) && (c.bits & U::kSpace)) {
    if (IsCrLf(c.cp)) last_crlf = e;
    last_start = e;
    e += c.len;
  }
  if (last_crlf < n) return last_crlf + 1;
  // \s+(?!\S) : the whole run at the end of the text, else all but its last
  // code point (if that leaves one); \s+ : the whole run.
  if (e == n || last_start == p) return e;
  return last_start;
}

}  // namespace

UnicodeClasses::UnicodeClasses() {
  // Every code point (surrogates excluded) in order, as UTF-8; PCRE2 marks
  // which belong to each class.
  std::string all;
  std::vector<uint32_t> cp_at;  // code point starting at each byte offset
  all.reserve(4400000);
  cp_at.reserve(4400000);
  for (uint32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const size_t before = all.size();
    AppendUtf8(cp, &all);
    cp_at.resize(all.size(), cp);
    (void)before;
  }
  std::vector<uint8_t> flat(0x110000, 0);
  const std::pair<const char*, uint8_t> classes[] = {
      {R"(\p{L}+)", kL}, {R"(\p{M}+)", kM}, {R"(\p{N}+)", kN}, {R"(\p{P}+)", kP}, {R"(\p{S}+)", kS}};
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  for (const auto& [pattern, bit] : classes) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                                     PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
    if (code == nullptr) std::abort();  // fixed, valid patterns
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(all.data());
    for (size_t start = 0;;) {
      if (pcre2_match(code, subject, all.size(), start, PCRE2_NO_UTF_CHECK, data, nullptr) < 0) break;
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data);
      for (size_t i = ov[0]; i < ov[1];) {
        const uint32_t cp = cp_at[i];
        flat[cp] |= bit;
        i += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      }
      start = ov[1];
    }
    pcre2_code_free(code);
  }
  pcre2_match_data_free(data);
  for (uint32_t cp = 0; cp < 0x110000; ++cp)
    if (IsJsSpace(cp)) flat[cp] |= kSpace;
  for (uint32_t cp = 0; cp < 0x80; ++cp) ascii_[cp] = flat[cp];
  for (uint32_t cp = 0; cp < 0x80; ++cp)  // the digits fast path relies on this
    if (((flat[cp] & kN) != 0) != (cp >= '0' && cp <= '9')) std::abort();
  // Two-level table: identical 256-code-point pages are stored once.
  std::map<std::string, uint16_t> pages;
  index_.resize(0x1100);
  for (size_t page = 0; page < 0x1100; ++page) {
    std::string key(reinterpret_cast<const char*>(flat.data() + page * 256), 256);
    auto [it, inserted] = pages.emplace(key, static_cast<uint16_t>(pages.size()));
    if (inserted) blocks_.insert(blocks_.end(), key.begin(), key.end());
    index_[page] = it->second;
  }
}

const UnicodeClasses& UnicodeClasses::Get() {
  static const UnicodeClasses* classes = new UnicodeClasses();
  return *classes;
}

FastPattern SelectFastPattern(std::string_view pattern) {
  if (pattern == DeepSeekDigits()) return FastPattern::kDeepSeekDigits;
  if (pattern == DeepSeekCjk()) return FastPattern::kDeepSeekCjk;
  if (pattern == DeepSeekWords()) return FastPattern::kDeepSeekWords;
  return FastPattern::kNone;
}

void FastFindAll(FastPattern pattern, std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) {
  matches->clear();
  const size_t n = text.size();
  switch (pattern) {
    case FastPattern::kNone:
      std::abort();
    case FastPattern::kDeepSeekDigits: {
      const UnicodeClasses& classes = UnicodeClasses::Get();
      size_t len;
      for (size_t i = 0; i < n;) {
        const size_t b = i;
        int count = 0;
        while (count < 3 && i < n &&
               (static_cast<uint8_t>(text[i]) < 0x80 ? text[i] >= '0' && text[i] <= '9' && (len = 1)
                                                     : classes.Of(Decode(text, i, &len)) & UnicodeClasses::kN)) {
          i += len;
          ++count;
        }
        if (count > 0) {
          matches->emplace_back(b, i);
        } else {
          i += Utf8SequenceLength(static_cast<uint8_t>(text[i]));
        }
      }
      return;
    }
    case FastPattern::kDeepSeekCjk: {
      size_t len;
      for (size_t i = 0; i < n;) {
        if (static_cast<uint8_t>(text[i]) < 0xE3) {  // every code point of the classes is 3 bytes, E3..E9
          ++i;
          continue;
        }
        const size_t b = i;
        while (i < n && IsCjk(Decode(text, i, &len))) i += len;
        if (i > b) {
          matches->emplace_back(b, i);
        } else {
          i += Utf8SequenceLength(static_cast<uint8_t>(text[i]));
        }
      }
      return;
    }
    case FastPattern::kDeepSeekWords: {
      Cursor c{text, UnicodeClasses::Get()};
      for (size_t p = 0; p < n;) {
        const size_t e = MatchWords(c, p);
        if (e > p) {
          matches->emplace_back(p, e);
          p = e;
        } else {
          p += Utf8SequenceLength(static_cast<uint8_t>(text[p]));
        }
      }
      return;
    }
  }
}

}  // namespace seek
