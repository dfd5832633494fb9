// data/word_splitter.cc — see word_splitter.h.
#include "data/word_splitter.h"

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>

#include <algorithm>
#include <array>
#include <memory>

#include "data/py_text.h"

namespace seek {
namespace {

// Scripts ICU segments by dictionary: Thai, Lao, Tibetan, Myanmar, Khmer,
// kana, CJK ideographs, halfwidth kana.
bool IsDictionaryScript(uint32_t cp) {
  return (cp >= 0x0E00 && cp <= 0x109F) || (cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0x3040 && cp <= 0x30FF) ||
         (cp >= 0x31F0 && cp <= 0x31FF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF66 && cp <= 0xFF9F) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

bool IsDigit(uint32_t cp) { return cp >= '0' && cp <= '9'; }
bool IsLower(uint32_t cp) { return cp < 0x80 ? (cp >= 'a' && cp <= 'z') : u_islower(static_cast<UChar32>(cp)); }
bool IsUpper(uint32_t cp) { return cp < 0x80 ? (cp >= 'A' && cp <= 'Z') : u_isupper(static_cast<UChar32>(cp)); }
bool IsAlnum(uint32_t cp) { return IsDigit(cp) || IsPyAlpha(cp); }

// spaCy's LIST_QUOTES.
bool IsQuote(uint32_t cp) {
  switch (cp) {
    case '\'': case '"': case 0x201D: case 0x201C: case '`': case 0x2018: case 0xB4: case 0x2019:
    case 0x201A: case 0x201E: case 0xBB: case 0xAB: case 0x300C: case 0x300D: case 0x300E: case 0x300F:
    case 0xFF08: case 0xFF09: case 0x3014: case 0x3015: case 0x3010: case 0x3011: case 0x300A: case 0x300B:
    case 0x3008: case 0x3009: case 0x2329: case 0x232A: case 0x27E6: case 0x27E7:
      return true;
    default:
      return false;
  }
}

// spaCy's LIST_PUNCT (single characters).
bool IsListPunct(uint32_t cp) {
  switch (cp) {
    case ',': case ':': case ';': case '!': case '?': case '(': case ')': case '[': case ']': case '{':
    case '}': case '<': case '>': case '_': case '#': case '*': case '&': case 0x2026: case 0xBF:
    case 0x61F: case 0xA1: case 0x3002: case 0xFF1F: case 0xFF01: case 0xFF0C: case 0x3001: case 0xFF1B:
    case 0xFF1A: case 0xFF5E: case 0xB7: case 0x964: case 0x60C: case 0x6D4: case 0x61B: case 0x66A:
      return true;
    default:
      return false;
  }
}

// spaCy's LIST_ICONS: other symbols but the degree sign.
bool IsIcon(uint32_t cp) { return cp >= 0x80 && cp != 0xB0 && u_charType(static_cast<UChar32>(cp)) == U_OTHER_SYMBOL; }
bool IsCurrency(uint32_t cp) {
  return cp == '$' || (cp >= 0x80 && u_charType(static_cast<UChar32>(cp)) == U_CURRENCY_SYMBOL);
}
bool IsDash(uint32_t cp) { return cp == 0x2014 || cp == 0x2013; }

// Characters split off either end of a piece.
bool IsAffixChar(uint32_t cp) { return IsListPunct(cp) || IsQuote(cp) || IsDash(cp) || IsIcon(cp); }

struct Cursor {
  std::string_view s;
  uint32_t At(size_t i, size_t* len) const { return CodePointAt(s, i, len); }
  uint32_t Before(size_t end) const {  // the code point that ends at `end`; 0 at the start
    if (end == 0) return 0;
    size_t len;
    return CodePointAt(s, PrevCodePointStart(s, end), &len);
  }
};

size_t DotRun(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && s[j] == '.') ++j;
  return j - i;
}

// Length of the prefix to split off s[b, e), or 0.
size_t PrefixLength(std::string_view s, size_t b, size_t e) {
  size_t len;
  const uint32_t cp = CodePointAt(s, b, &len);
  if (cp == '.') {
    const size_t run = std::min(DotRun(s, b), e - b);
    return run >= 2 ? run : 0;
  }
  if (cp == '+') return (b + 1 < e && IsDigit(static_cast<uint8_t>(s[b + 1]))) ? 0 : 1;
  if (IsAffixChar(cp) || cp == 0xA7 || cp == '%' || cp == '=' || IsCurrency(cp)) return len;
  return 0;
}

bool EqualsNoCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

// Abbreviations whose final '.' stays (a small part of spaCy's exceptions).
bool IsAbbreviation(std::string_view w) {
  static constexpr std::string_view kAbbrev[] = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "inc",
                                                 "ltd", "co", "corp", "prof", "mt", "e.g", "i.e", "a.m", "p.m",
                                                 "u.s", "u.k", "no", "vol", "jan", "feb", "aug", "sept", "oct",
                                                 "nov", "dec"};
  for (std::string_view a : kAbbrev)
    if (EqualsNoCase(w, a)) return true;
  return false;
}

bool EndsWithNoCase(std::string_view s, std::string_view lower_suffix) {
  return s.size() >= lower_suffix.size() && EqualsNoCase(s.substr(s.size() - lower_suffix.size()), lower_suffix);
}

// Length of the suffix to split off s[b, e), or 0.
size_t SuffixLength(std::string_view s, size_t b, size_t e) {
  const std::string_view w = s.substr(b, e - b);
  const Cursor c{s};
  const size_t last_start = PrevCodePointStart(s, e);
  if (last_start < b) return 0;
  size_t len;
  const uint32_t last = CodePointAt(s, last_start, &len);
  if (last_start + len != e) return 0;  // ill-formed UTF-8 at the end
  const uint32_t before = last_start > b ? c.Before(last_start) : 0;
  if (last == '.') {
    size_t run = 0;
    while (run < w.size() && w[w.size() - 1 - run] == '.') ++run;
    if (run >= 2) return run;  // an ellipsis
    if (w.size() == 1) return 0;
    if (IsAbbreviation(w.substr(0, w.size() - 1))) return 0;
    const uint32_t before2 = last_start > b ? c.Before(PrevCodePointStart(s, last_start)) : 0;
    const bool two_capitals = IsUpper(before) && PrevCodePointStart(s, last_start) > b && IsUpper(before2);
    if (IsDigit(before) || IsLower(before) || before == '%' || before == 0xB2 || before == '-' || before == '+' ||
        IsQuote(before) || IsAffixChar(before) || two_capitals)
      return 1;
    return 0;
  }
  // Contractions and the possessive: "don't" -> "do" "n't", "it's" -> "it" "'s".
  const bool apostrophe = w.find('\'', w.size() > 5 ? w.size() - 5 : 0) != std::string_view::npos ||
                          w.find('\xE2', w.size() > 7 ? w.size() - 7 : 0) != std::string_view::npos;
  if (apostrophe) {
    if (w.size() > 3 && EndsWithNoCase(w, "n't")) return 3;
    if (w.size() > 5 && EndsWithNoCase(w, "n\xE2\x80\x99t")) return 5;
    for (std::string_view k : {std::string_view("'s"), std::string_view("'m"), std::string_view("'d")})
      if (w.size() > 2 && EndsWithNoCase(w, k)) return 2;
    for (std::string_view k : {std::string_view("'re"), std::string_view("'ve"), std::string_view("'ll")})
      if (w.size() > 3 && EndsWithNoCase(w, k)) return 3;
    if (w.size() > 4 && EndsWithNoCase(w, "\xE2\x80\x99s")) return 4;
  }
  if (IsAffixChar(last)) return len;
  if ((last == '+' || last == '%' || IsCurrency(last)) && IsDigit(before)) return len;
  return 0;
}

bool LooksLikeUrl(std::string_view w) {
  return w.find("://") != std::string_view::npos || (w.size() > 4 && EqualsNoCase(w.substr(0, 4), "www."));
}

bool IsHyphen(uint32_t cp) { return cp == '-' || cp == '~' || cp == 0x2013 || cp == 0x2014; }

// Splits s[b, e) at spaCy's infixes.
void SplitInfixes(std::string_view s, size_t b, size_t e, WordSplit* out) {
  const Cursor c{s};
  size_t piece = b, i = b, len;
  const auto emit_infix = [&](size_t start, size_t end) {
    if (start > piece) out->words.push_back(s.substr(piece, start - piece));
    out->words.push_back(s.substr(start, end - start));
    piece = end;
  };
  while (i < e) {
    const uint32_t cp = c.At(i, &len);
    len = std::min(len, e - i);  // ill-formed UTF-8 may claim more
    if (cp < 0x80 && IsAlnum(cp)) {  // the common case
      ++i;
      continue;
    }
    const uint32_t prev = i > b ? c.Before(i) : 0;
    size_t next_len = 0;
    const uint32_t next = i + len < e ? c.At(i + len, &next_len) : 0;
    size_t infix_end = 0;
    if (cp == '.' && next == '.') {
      infix_end = i + std::min(DotRun(s, i), e - i);
    } else if (cp == 0x2026 || IsIcon(cp)) {
      infix_end = i + len;
    } else if (IsHyphen(cp) && prev != 0 && IsAlnum(prev)) {
      size_t j = i + len, l2;
      while (j < e && c.At(j, &l2) == cp && j - i < 3 * len) j += l2;  // -- and ---
      size_t l3;
      if (j < e && IsPyAlpha(c.At(j, &l3))) infix_end = j;
      else if (cp == '-' && IsDigit(prev) && (IsDigit(next) || next == '-')) infix_end = i + len;
    } else if ((cp == '+' || cp == '*' || cp == '^') && IsDigit(prev) && (IsDigit(next) || next == '-')) {
      infix_end = i + len;
    } else if (cp == ',' && prev != 0 && IsPyAlpha(prev) && next != 0 && IsPyAlpha(next)) {
      infix_end = i + len;
    } else if ((cp == ':' || cp == '<' || cp == '>' || cp == '=' || cp == '/') && prev != 0 && IsAlnum(prev) &&
               next != 0 && IsPyAlpha(next)) {
      infix_end = i + len;
    } else if (cp == '.' && prev != 0 && (IsLower(prev) || IsQuote(prev)) && next != 0 &&
               (IsUpper(next) || IsQuote(next))) {
      infix_end = i + len;
    }
    if (infix_end > i) {
      emit_infix(i, infix_end);
      i = infix_end;
    } else {
      i += len;
    }
  }
  if (piece < e) out->words.push_back(s.substr(piece, e - piece));
}

constexpr bool IsAsciiAlnumByte(char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

// The common pieces, decided without the affix loop: plain ASCII words, and
// plain words with one closing mark (,;:!?) or a sentence-final '.' after a
// lowercase letter or digit. Returns false to take the general path.
bool SplitPlainPiece(std::string_view s, size_t b, size_t e, WordSplit* out) {
  size_t k = b;
  while (k < e && IsAsciiAlnumByte(s[k])) ++k;
  if (k == e) {
    out->words.push_back(s.substr(b, e - b));
    return true;
  }
  if (k + 1 != e || k == b) return false;
  const char last = s[k];
  const char prev = s[k - 1];
  const bool closing = last == ',' || last == ';' || last == ':' || last == '!' || last == '?';
  const bool period = last == '.' && ((prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9')) &&
                      !IsAbbreviation(s.substr(b, k - b));
  if (!closing && !period) return false;
  out->words.push_back(s.substr(b, k - b));
  out->words.push_back(s.substr(k, 1));
  return true;
}

// spaCy's affix loop on one whitespace-free piece s[b, e).
void SplitRulePiece(std::string_view s, size_t b, size_t e, WordSplit* out) {
  if (SplitPlainPiece(s, b, e, out)) return;
  std::array<std::string_view, 16> suffixes;  // peeled from the end, in reverse
  size_t n_suffixes = 0;
  while (b < e) {
    // Ill-formed UTF-8 can make a decoded character look longer than the
    // piece; such a piece is cut no further.
    const size_t pre = std::min(PrefixLength(s, b, e), e - b);
    const size_t suf = SuffixLength(s, b + pre, e);
    if ((pre == 0 && suf == 0) || suf > e - b - pre) break;
    if (pre > 0) {
      out->words.push_back(s.substr(b, pre));
      b += pre;
    }
    if (suf > 0 && suf <= e - b) {
      if (n_suffixes == suffixes.size()) break;
      suffixes[n_suffixes++] = s.substr(e - suf, suf);
      e -= suf;
    }
  }
  if (b < e) {
    if (LooksLikeUrl(s.substr(b, e - b))) out->words.push_back(s.substr(b, e - b));
    else SplitInfixes(s, b, e, out);
  }
  while (n_suffixes > 0) out->words.push_back(suffixes[--n_suffixes]);
}

// ICU's word segmentation of s[b, e): every segment that is not blank.
void SplitDictionaryPiece(std::string_view s, size_t b, size_t e, WordSplit* out) {
  struct Iter {
    std::unique_ptr<icu::BreakIterator> bi;
    UText* text = nullptr;
    Iter() {
      UErrorCode err = U_ZERO_ERROR;
      bi.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), err));
      if (U_FAILURE(err)) bi.reset();
    }
    ~Iter() {
      if (text != nullptr) utext_close(text);
    }
  };
  thread_local Iter iter;
  if (!iter.bi) {  // no ICU data: one word per piece, as whitespace splitting would
    out->words.push_back(s.substr(b, e - b));
    return;
  }
  UErrorCode err = U_ZERO_ERROR;
  iter.text = utext_openUTF8(iter.text, s.data() + b, static_cast<int64_t>(e - b), &err);
  iter.bi->setText(iter.text, err);
  if (U_FAILURE(err)) {
    out->words.push_back(s.substr(b, e - b));
    return;
  }
  int32_t start = iter.bi->first();
  for (int32_t end = iter.bi->next(); end != icu::BreakIterator::DONE; start = end, end = iter.bi->next()) {
    const std::string_view seg = s.substr(b + static_cast<size_t>(start), static_cast<size_t>(end - start));
    if (PyStrip(seg).empty()) continue;
    // Segments of Latin letters or digits between CJK text follow the rules.
    size_t len;
    if (!IsDictionaryScript(CodePointAt(seg, 0, &len))) {
      SplitRulePiece(s, b + static_cast<size_t>(start), b + static_cast<size_t>(end), out);
      continue;
    }
    out->words.push_back(seg);
    ++out->dictionary_words;
  }
}

}  // namespace

void SplitWords(std::string_view text, WordSplit* out) {
  // Byte classes: 1 = ASCII letter or digit, 2 = other printable ASCII.
  static constexpr auto kByteClass = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0x21; c < 0x7F; ++c) t[c] = IsAsciiAlnumByte(static_cast<char>(c)) ? 1 : 2;
    return t;
  }();
  size_t i = 0, len;
  while (i < text.size()) {
    const auto first = static_cast<uint8_t>(text[i]);
    if (kByteClass[first] == 0) {  // whitespace, a control or non-ASCII
      const uint32_t cp = CodePointAt(text, i, &len);
      if (IsPySpace(cp)) {
        i += len;
        continue;
      }
    }
    const size_t b = i;
    bool plain = true, dictionary = false;
    while (i < text.size()) {
      const uint8_t cls = kByteClass[static_cast<uint8_t>(text[i])];
      if (cls != 0) {
        plain &= cls == 1;
        ++i;
        continue;
      }
      const uint32_t cp = CodePointAt(text, i, &len);
      if (IsPySpace(cp)) break;
      plain = false;
      dictionary |= IsDictionaryScript(cp);
      i += len;
    }
    if (plain) out->words.push_back(text.substr(b, i - b));
    else if (dictionary) SplitDictionaryPiece(text, b, i, out);
    else SplitRulePiece(text, b, i, out);
  }
}

bool IsNoSpaceLanguage(std::string_view language) {
  return language == "zh" || language == "ja" || language == "th" || language == "lo" || language == "km" ||
         language == "my" || language == "bo";
}

bool HasNoSpaceScript(std::string_view text) {
  size_t len;
  for (size_t i = 0; i < text.size(); i += len) {
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      len = 1;
      continue;
    }
    if (IsDictionaryScript(CodePointAt(text, i, &len))) return true;
  }
  return false;
}

bool TreatAsNoSpace(std::string_view language, const WordSplit& split) {
  if (!language.empty()) return IsNoSpaceLanguage(language);
  return split.dictionary_words * 2 > split.words.size();
}

bool IsAllPunctuation(std::string_view word) {
  size_t len;
  for (size_t i = 0; i < word.size(); i += len) {
    const uint32_t cp = CodePointAt(word, i, &len);
    if (!(U_GET_GC_MASK(static_cast<UChar32>(cp)) & U_GC_P_MASK)) return false;
  }
  return !word.empty();
}

size_t CountSentences(const std::vector<std::string_view>& words) {
  if (words.empty()) return 0;
  size_t sentences = 1;
  bool seen_terminal = false;
  for (std::string_view w : words) {
    size_t len;
    const bool terminal = IsTerminalPunctuation(CodePointAt(w, 0, &len)) && len == w.size();
    if (seen_terminal && !terminal && !IsAllPunctuation(w)) {
      ++sentences;
      seen_terminal = false;
    } else if (terminal) {
      seen_terminal = true;
    }
  }
  return sentences;
}

}  // namespace seek
