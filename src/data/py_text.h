// data/py_text.h — the Python str operations and character sets that
// datatrove's filters are written with, on UTF-8, so that Seek's filters
// compute the same numbers: str.split() / strip() / splitlines() whitespace,
// len() in code points, str.isalpha(), and datatrove's PUNCTUATION_SET and
// TERMINAL_PUNCTUATION (src/datatrove/utils/text.py).
//
// Inputs should be valid UTF-8 (the normalize stage guarantees it); an
// ill-formed byte is read as one code point and never read past the end.
// All functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/js_text.h"

namespace seek {

// The code point that starts at byte `i`, ASCII inline; *len its byte length.
inline uint32_t CodePointAt(std::string_view s, size_t i, size_t* len) {
  const auto c = static_cast<uint8_t>(s[i]);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  return DecodeUtf8At(s, i, len);
}

// The start byte of the code point that ends at byte `end` (exclusive), end > 0.
inline size_t PrevCodePointStart(std::string_view s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80 && end - i < 4) --i;
  return i;
}

// len(s) of the Python str: the number of code points.
size_t CountCodePoints(std::string_view s);

namespace py_text_internal {
bool IsSpaceNonAscii(uint32_t cp);
bool IsAlphaNonAscii(uint32_t cp);
bool IsDatatrovePunctuationNonAscii(uint32_t cp);
// Bit 1: str.isspace(); bit 2: str.isalpha(); bit 4: in datatrove's PUNCTUATION_SET.
extern const std::array<uint8_t, 128> kAsciiClass;
}  // namespace py_text_internal

// str.isspace() for one character: what str.split() and str.strip() remove
// (\t \n \v \f \r, U+001C..U+001F, space, U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
inline bool IsPySpace(uint32_t cp) {
  return cp < 0x80 ? (py_text_internal::kAsciiClass[cp] & 1) != 0 : py_text_internal::IsSpaceNonAscii(cp);
}
// The boundaries str.splitlines() splits on (\r\n counts as one).
bool IsPyLineBreak(uint32_t cp);
// str.isalpha() for one character: general category L*.
inline bool IsPyAlpha(uint32_t cp) {
  return cp < 0x80 ? (py_text_internal::kAsciiClass[cp] & 2) != 0 : py_text_internal::IsAlphaNonAscii(cp);
}
// A character of \w in Python's re (letters, numbers, underscore).
bool IsPyWordChar(uint32_t cp);

// datatrove's PUNCTUATION_SET: its PUNCTUATION string (ASCII punctuation, the
// C0/C1 controls but \t and \n, and a few CJK and typographic marks) plus
// TERMINAL_PUNCTUATION.
inline bool IsDatatrovePunctuation(uint32_t cp) {
  return cp < 0x80 ? (py_text_internal::kAsciiClass[cp] & 4) != 0
                   : py_text_internal::IsDatatrovePunctuationNonAscii(cp);
}
// datatrove's TERMINAL_PUNCTUATION: sentence-ending marks of many scripts.
bool IsTerminalPunctuation(uint32_t cp);

std::string_view PyStrip(std::string_view s);
std::string_view PyLStrip(std::string_view s);
std::string_view PyRStrip(std::string_view s);

// s.splitlines() (no line ends kept; no empty last line for a final break).
void PySplitLines(std::string_view s, std::vector<std::string_view>* lines);

// Calls fn(word) for every word of s.split() (runs of non-whitespace).
template <typename Fn>
void ForEachPySplitWord(std::string_view s, Fn&& fn) {
  size_t i = 0, start = 0, len = 0;
  bool in_word = false;
  while (i < s.size()) {
    const uint32_t cp = CodePointAt(s, i, &len);
    const bool space = IsPySpace(cp);
    if (space && in_word) fn(s.substr(start, i - start));
    if (!space && !in_word) start = i;
    in_word = !space;
    i += len;
  }
  if (in_word) fn(s.substr(start));
}

// The last code point of a non-empty s.
inline uint32_t LastCodePoint(std::string_view s) {
  size_t len;
  return CodePointAt(s, PrevCodePointStart(s, s.size()), &len);
}

// Occurrences of `needle` (non-empty) in s, without overlaps, as str.count.
size_t CountSubstr(std::string_view s, std::string_view needle);

}  // namespace seek
