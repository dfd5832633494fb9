// tokenizer/js_text.cc — see js_text.h.
#include "tokenizer/js_text.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace seek {

bool IsJsSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

uint32_t DecodeUtf8At(std::string_view s, size_t i, size_t* len) {
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(s[k])); };
  *len = std::min<size_t>(Utf8SequenceLength(static_cast<uint8_t>(s[i])), s.size() - i);
  uint32_t cp = *len == 1 ? b(i) : b(i) & (0x7F >> *len);
  for (size_t k = 1; k < *len; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
  return cp;
}

std::string_view JsTrimStart(std::string_view s) {
  size_t len;
  while (!s.empty() && IsJsSpace(DecodeUtf8At(s, 0, &len))) s.remove_prefix(len);
  return s;
}

std::string_view JsTrimEnd(std::string_view s) {
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
    size_t len;
    if (!IsJsSpace(DecodeUtf8At(s, start, &len))) break;
    s.remove_suffix(s.size() - start);
  }
  return s;
}

}  // namespace seek
