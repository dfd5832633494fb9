#include "data/text_simplify.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <array>

#include "core/check.h"
#include "tokenizer/js_text.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

// datatrove's PUNCTUATION string beyond ASCII punctuation and controls
// (utils/text.py), sorted for binary search.
constexpr std::array<uint32_t, 34> kWidePunctuation = {
    0x00AB, 0x00B4, 0x00BB, 0x2013, 0x2014, 0x2019, 0x201C, 0x201D, 0x201E, 0x2026, 0x2236, 0x2501,
    0x25BA, 0x3001, 0x3002, 0x3008, 0x3009, 0x300A, 0x300B, 0x300C, 0x300D, 0x3010, 0x3011, 0xFF01,
    0xFF05, 0xFF08, 0xFF09, 0xFF0C, 0xFF0E, 0xFF11, 0xFF1A, 0xFF1B, 0xFF1F, 0xFF5E};

bool IsPunctuation(uint32_t c) {
  if (c < 0x80) {
    // ASCII punctuation and the controls datatrove lists: 0-8, 11-12, 13-31, 127.
    if (c == '\t' || c == '\n') return false;
    return c < 0x20 || c == 0x7F || (c > ' ' && c < '0') || (c > '9' && c < 'A') ||
           (c > 'Z' && c < 'a') || (c > 'z' && c < 0x7F);
  }
  if (c < 0xA0) return true;  // C1 controls 127-159
  return std::binary_search(kWidePunctuation.begin(), kWidePunctuation.end(), c);
}

// Python's str.isspace(), which is what re's \s matches in str patterns.
bool IsPyWhitespace(uint32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool IsDigit(uint32_t c) {
  return c < 0x80 ? (c >= '0' && c <= '9') : u_charType(c) == U_DECIMAL_DIGIT_NUMBER;
}

// The separators of datatrove's NUMBERS_PATTERN: [.,،٫⎖⎗⎘].
bool IsNumberSeparator(uint32_t c) {
  return c == '.' || c == ',' || c == 0x060C || c == 0x066B || c == 0x2396 || c == 0x2397 ||
         c == 0x2398;
}

uint32_t Lower(uint32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
  return static_cast<uint32_t>(u_tolower(static_cast<UChar32>(c)));
}

const UNormalizer2* Nfd() {
  static const UNormalizer2* nfd = [] {
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2* n = unorm2_getNFDInstance(&err);
    CHECK_MSG(U_SUCCESS(err), "ICU has no NFD data");
    return n;
  }();
  return nfd;
}

// Appends the NFD decomposition of `c` without nonspacing marks (Mn).
void AppendStripped(uint32_t c, std::string* out) {
  UChar buf[32];
  UErrorCode err = U_ZERO_ERROR;
  int32_t n = unorm2_getDecomposition(Nfd(), static_cast<UChar32>(c), buf, 32, &err);
  if (n < 0 || U_FAILURE(err)) {  // no decomposition: the character itself
    if (u_charType(static_cast<UChar32>(c)) != U_NON_SPACING_MARK) AppendUtf8(c, out);
    return;
  }
  for (int32_t i = 0; i < n;) {
    UChar32 d;
    U16_NEXT(buf, i, n, d);
    if (u_charType(d) != U_NON_SPACING_MARK) AppendUtf8(static_cast<uint32_t>(d), out);
  }
}

// Per ASCII byte: what it is (word separator, start of a number, or a word
// character) and the byte a word character becomes.
enum AsciiKind : uint8_t { kSep, kNum, kChar };
struct AsciiTable {
  std::array<AsciiKind, 128> kind;
  std::array<char, 128> to;
};

AsciiTable MakeAsciiTable(const TextSimplifyConfig& config) {
  AsciiTable t{};
  for (uint32_t c = 0; c < 128; ++c) {
    t.to[c] = static_cast<char>(config.lowercase ? Lower(c) : c);
    if (config.norm_numbers && IsDigit(c))
      t.kind[c] = kNum;
    else if (IsPyWhitespace(c) || (config.remove_punctuation && IsPunctuation(c)))
      t.kind[c] = kSep;
    else
      t.kind[c] = kChar;
  }
  return t;
}

const AsciiTable& TableFor(const TextSimplifyConfig& config) {
  static const std::array<AsciiTable, 8> tables = [] {
    std::array<AsciiTable, 8> all;
    for (int k = 0; k < 8; ++k)
      all[k] = MakeAsciiTable({(k & 1) != 0, (k & 2) != 0, true, (k & 4) != 0});
    return all;
  }();
  return tables[(config.lowercase ? 1 : 0) | (config.remove_punctuation ? 2 : 0) |
                (config.norm_numbers ? 4 : 0)];
}

// The code point at `i` of valid UTF-8 `s` (lowercased when asked); *len its length.
uint32_t NextCodePoint(std::string_view s, size_t i, bool lowercase, size_t* len) {
  uint32_t c = DecodeUtf8At(s, i, len);
  return lowercase ? Lower(c) : c;
}

// Length of the number (datatrove's NUMBERS_PATTERN) starting with the digit at `i`.
size_t NumberLength(std::string_view s, size_t i) {
  size_t len, j = i;
  while (j < s.size() && IsDigit(DecodeUtf8At(s, j, &len))) j += len;
  if (j < s.size() && IsNumberSeparator(DecodeUtf8At(s, j, &len))) {
    size_t k = j + len, dlen;
    if (k < s.size() && IsDigit(DecodeUtf8At(s, k, &dlen))) {
      j = k;
      while (j < s.size() && IsDigit(DecodeUtf8At(s, j, &len))) j += len;
    }
  }
  return j - i;
}

}  // namespace

void SimplifyText(std::string_view text, const TextSimplifyConfig& config, std::string* out,
                  std::vector<uint32_t>* word_ends) {
  std::string repaired;
  if (!IsValidUtf8(text)) text = repaired = RepairUtf8(text);
  out->clear();
  out->reserve(text.size());
  if (word_ends) word_ends->clear();
  const AsciiTable& table = TableFor(config);
  bool in_word = false;
  auto end_word = [&] {
    if (in_word && word_ends) word_ends->push_back(static_cast<uint32_t>(out->size()));
    in_word = false;
  };
  auto start_char = [&] {
    if (in_word) return;
    if (!out->empty()) out->push_back(' ');
    in_word = true;
  };
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto b = static_cast<uint8_t>(text[i]);
    if (b < 0x80) {
      if (table.kind[b] == kSep) {
        end_word();
        ++i;
        continue;
      }
      if (table.kind[b] == kChar) {
        start_char();
        out->push_back(table.to[b]);
        ++i;
        continue;
      }
    }
    size_t len;
    const uint32_t c = NextCodePoint(text, i, config.lowercase, &len);
    if (config.norm_numbers && IsDigit(c)) {
      start_char();
      out->push_back('0');
      i += NumberLength(text, i);
    } else if (IsPyWhitespace(c) || (config.remove_punctuation && IsPunctuation(c))) {
      end_word();
      i += len;
    } else {
      // NFD may leave nothing (a lone mark): then no word starts here.
      const size_t mark = out->size();
      if (!in_word && !out->empty()) out->push_back(' ');
      const size_t start = out->size();
      config.norm_unicode_diacritics ? AppendStripped(c, out) : AppendUtf8(c, out);
      if (out->size() == start)
        out->resize(mark);
      else
        in_word = true;
      i += len;
    }
  }
  end_word();
}

std::string SimplifyTextRef(std::string_view text, const TextSimplifyConfig& config) {
  const std::string repaired = RepairUtf8(text);
  std::u32string s;
  for (size_t i = 0, len; i < repaired.size(); i += len)
    s.push_back(DecodeUtf8At(repaired, i, &len));
  if (config.lowercase)
    for (auto& c : s) c = Lower(c);
  if (config.norm_numbers) {
    std::u32string t;
    for (size_t i = 0; i < s.size();) {
      if (!IsDigit(s[i])) {
        t.push_back(s[i++]);
        continue;
      }
      while (i < s.size() && IsDigit(s[i])) ++i;
      if (i + 1 < s.size() && IsNumberSeparator(s[i]) && IsDigit(s[i + 1])) {
        ++i;
        while (i < s.size() && IsDigit(s[i])) ++i;
      }
      t.push_back(U'0');
    }
    s = t;
  }
  if (config.remove_punctuation)
    for (auto& c : s)
      if (IsPunctuation(c)) c = U' ';
  {  // whitespace: strip, fold runs into one space
    std::u32string t;
    for (char32_t c : s) {
      if (IsPyWhitespace(c)) {
        if (!t.empty() && t.back() != U' ') t.push_back(U' ');
      } else {
        t.push_back(c);
      }
    }
    while (!t.empty() && t.back() == U' ') t.pop_back();
    s = t;
  }
  if (config.norm_unicode_diacritics) {  // NFD of the whole text, then drop Mn
    std::u16string u16;
    for (char32_t c : s) {
      if (c >= 0x10000) {
        u16.push_back(static_cast<char16_t>(0xD7C0 + (c >> 10)));
        u16.push_back(static_cast<char16_t>(0xDC00 | (c & 0x3FF)));
      } else {
        u16.push_back(static_cast<char16_t>(c));
      }
    }
    std::u16string nfd(u16.size() * 4 + 16, u'\0');
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = unorm2_normalize(
        Nfd(), reinterpret_cast<const UChar*>(u16.data()), static_cast<int32_t>(u16.size()),
        reinterpret_cast<UChar*>(nfd.data()), static_cast<int32_t>(nfd.size()), &err);
    CHECK_MSG(U_SUCCESS(err), "ICU NFD failed");
    s.clear();
    for (int32_t i = 0; i < n;) {
      UChar32 c;
      U16_NEXT(reinterpret_cast<const UChar*>(nfd.data()), i, n, c);
      if (u_charType(c) != U_NON_SPACING_MARK) s.push_back(static_cast<char32_t>(c));
    }
  }
  // Words are the whitespace-separated runs, joined by one space.
  std::string out;
  bool pending = false;
  for (char32_t c : s) {
    if (IsPyWhitespace(c)) {
      pending = true;
      continue;
    }
    if (pending && !out.empty()) out.push_back(' ');
    pending = false;
    AppendUtf8(c, &out);
  }
  return out;
}

}  // namespace seek
