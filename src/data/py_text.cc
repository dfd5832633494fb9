// data/py_text.cc — see py_text.h.
#include "data/py_text.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstring>

namespace seek {
namespace {

// The non-control characters of datatrove's PUNCTUATION string
// (src/datatrove/utils/text.py), as code points. Note U+FF11 (fullwidth
// digit one) is in it; kept as datatrove has it.
constexpr uint32_t kPunctuation[] = {
    0x21,   0x22,   0x23,   0x24,   0x25,   0x26,   0x27,   0x28,   0x29,   0x2A,   0x2B,   0x2C,
    0x2D,   0x2E,   0x2F,   0x3A,   0x3B,   0x3C,   0x3D,   0x3E,   0x3F,   0x40,   0x5B,   0x5C,
    0x5D,   0x5E,   0x5F,   0x60,   0x7B,   0x7C,   0x7D,   0x7E,   0xAB,   0xB4,   0xBB,   0x2013,
    0x2014, 0x2019, 0x201C, 0x201D, 0x201E, 0x2026, 0x2236, 0x2501, 0x25BA, 0x3001, 0x3002, 0x3008,
    0x3009, 0x300A, 0x300B, 0x300C, 0x300D, 0x3010, 0x3011, 0xFF01, 0xFF05, 0xFF08, 0xFF09, 0xFF0C,
    0xFF0E, 0xFF11, 0xFF1A, 0xFF1B, 0xFF1F, 0xFF5E};

// datatrove's TERMINAL_PUNCTUATION (src/datatrove/utils/text.py), sorted.
constexpr uint32_t kTerminal[] = {
    0x21,    0x2E,    0x3F,    0x589,   0x61D,   0x61E,   0x61F,   0x6D4,   0x700,   0x701,   0x702,
    0x7F9,   0x837,   0x839,   0x83D,   0x83E,   0x964,   0x965,   0x104A,  0x104B,  0x1362,  0x1367,
    0x1368,  0x166E,  0x1735,  0x1736,  0x17D4,  0x17D5,  0x17D6,  0x17D9,  0x17DA,  0x1803,  0x1809,
    0x1944,  0x1945,  0x1AA8,  0x1AA9,  0x1AAA,  0x1AAB,  0x1B5A,  0x1B5B,  0x1B5E,  0x1B5F,  0x1B7D,
    0x1B7E,  0x1C3B,  0x1C3C,  0x1C7E,  0x1C7F,  0x203C,  0x203D,  0x2047,  0x2048,  0x2049,  0x2E2E,
    0x2E3C,  0x2E53,  0x2E54,  0x3002,  0xA4FF,  0xA60E,  0xA60F,  0xA6F3,  0xA6F7,  0xA876,  0xA877,
    0xA8CE,  0xA8CF,  0xA92F,  0xA9C8,  0xA9C9,  0xAA5D,  0xAA5E,  0xAA5F,  0xAAF0,  0xAAF1,  0xABEB,
    0xFE52,  0xFE56,  0xFE57,  0xFF01,  0xFF0E,  0xFF1F,  0xFF61,  0x10A56, 0x10A57, 0x10F55, 0x10F56,
    0x10F57, 0x10F58, 0x10F59, 0x10F86, 0x10F87, 0x10F88, 0x10F89, 0x11047, 0x11048, 0x110BE, 0x110BF,
    0x110C0, 0x110C1, 0x11141, 0x11142, 0x11143, 0x111C5, 0x111C6, 0x111CD, 0x111DE, 0x111DF, 0x11238,
    0x11239, 0x1123B, 0x1123C, 0x112A9, 0x1144B, 0x1144C, 0x115C2, 0x115C3, 0x115C9, 0x115CA, 0x115CB,
    0x115CC, 0x115CD, 0x115CE, 0x115CF, 0x115D0, 0x115D1, 0x115D2, 0x115D3, 0x115D4, 0x115D5, 0x115D6,
    0x115D7, 0x11641, 0x11642, 0x1173C, 0x1173D, 0x1173E, 0x11944, 0x11946, 0x11A42, 0x11A43, 0x11A9B,
    0x11A9C, 0x11C41, 0x11C42, 0x11EF7, 0x11EF8, 0x11F43, 0x11F44, 0x16A6E, 0x16A6F, 0x16AF5, 0x16B37,
    0x16B38, 0x16B44, 0x16E98, 0x1BC9F, 0x1DA88};

// Bit sets over the BMP; the few supplementary terminal marks are searched.
struct CharTables {
  std::bitset<0x10000> punct, terminal;
  CharTables() {
    for (uint32_t c = 0; c < 0xA0; ++c)
      if (c < 9 || c == 11 || c == 12 || (c >= 13 && c < 32) || c >= 127) punct.set(c);
    for (uint32_t c : kPunctuation) punct.set(c);
    for (uint32_t c : kTerminal)
      if (c < 0x10000) punct.set(c), terminal.set(c);
  }
};

const CharTables& Tables() {
  static const CharTables tables;
  return tables;
}

bool IsSupplementaryTerminal(uint32_t cp) {
  return std::binary_search(std::begin(kTerminal), std::end(kTerminal), cp);
}

}  // namespace

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

namespace py_text_internal {

constexpr std::array<uint8_t, 128> MakeAsciiClass() {
  std::array<uint8_t, 128> t{};
  for (uint32_t c = 0; c < 128; ++c) {
    if ((c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20)) t[c] |= 1;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') t[c] |= 2;
    if (c < 9 || c == 11 || c == 12 || (c >= 13 && c < 32) || c == 127) t[c] |= 4;
  }
  for (uint32_t c : kPunctuation)
    if (c < 128) t[c] |= 4;
  return t;
}
constinit const std::array<uint8_t, 128> kAsciiClass = MakeAsciiClass();

bool IsSpaceNonAscii(uint32_t cp) {
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool IsAlphaNonAscii(uint32_t cp) { return u_isalpha(static_cast<UChar32>(cp)); }

bool IsDatatrovePunctuationNonAscii(uint32_t cp) {
  return cp < 0x10000 ? Tables().punct.test(cp) : IsSupplementaryTerminal(cp);
}

}  // namespace py_text_internal

bool IsPyLineBreak(uint32_t cp) {
  return (cp >= 10 && cp <= 13) || (cp >= 0x1C && cp <= 0x1E) || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

bool IsPyWordChar(uint32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') || cp == '_';
  const int8_t type = u_charType(static_cast<UChar32>(cp));
  return u_isalpha(static_cast<UChar32>(cp)) || type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER ||
         type == U_OTHER_NUMBER;
}

bool IsTerminalPunctuation(uint32_t cp) {
  return cp < 0x10000 ? Tables().terminal.test(cp) : IsSupplementaryTerminal(cp);
}

std::string_view PyLStrip(std::string_view s) {
  size_t len;
  while (!s.empty() && IsPySpace(CodePointAt(s, 0, &len))) s.remove_prefix(len);
  return s;
}

std::string_view PyRStrip(std::string_view s) {
  while (!s.empty()) {
    const size_t start = PrevCodePointStart(s, s.size());
    size_t len;
    if (!IsPySpace(CodePointAt(s, start, &len))) break;
    s.remove_suffix(s.size() - start);
  }
  return s;
}

std::string_view PyStrip(std::string_view s) { return PyRStrip(PyLStrip(s)); }

void PySplitLines(std::string_view s, std::vector<std::string_view>* lines) {
  lines->clear();
  size_t start = 0, i = 0, len;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c < 0x80) {  // printable ASCII: no break possible
      ++i;
      continue;
    }
    const uint32_t cp = c >= 0x80 ? DecodeUtf8At(s, i, &len) : (len = 1, c);
    if (!IsPyLineBreak(cp)) {
      i += len;
      continue;
    }
    lines->push_back(s.substr(start, i - start));
    i += len;
    if (cp == '\r' && i < s.size() && s[i] == '\n') ++i;
    start = i;
  }
  if (start < s.size()) lines->push_back(s.substr(start));
}

size_t CountSubstr(std::string_view s, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = s.find(needle); pos != std::string_view::npos; pos = s.find(needle, pos + needle.size())) ++n;
  return n;
}

}  // namespace seek
