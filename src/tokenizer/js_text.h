// tokenizer/js_text.h — the JavaScript string operations that the reference
// tokenizer (transformers.js) applies, on UTF-8: whitespace as
// String.prototype.trim sees it, and trimming with it.
//
// All functions are pure and thread-safe; inputs are valid UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace seek {

// White_Space plus U+FEFF, minus U+0085: the set JavaScript's trim removes.
bool IsJsSpace(uint32_t code_point);

// The code point that starts at byte `i` of `s`; *len gets its byte length.
uint32_t DecodeUtf8At(std::string_view s, size_t i, size_t* len);

// String.prototype.trimStart / trimEnd.
std::string_view JsTrimStart(std::string_view s);
std::string_view JsTrimEnd(std::string_view s);

}  // namespace seek
