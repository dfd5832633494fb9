// tokenizer/pattern.h — the patterns of tokenizer.json components (Split,
// Replace): {"String": s} matches s literally, {"Regex": r} is a regex with
// the reference's (JavaScript) semantics, see regex.h.
//
// Thread-safety: pure functions; a compiled Regex is shareable.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "tokenizer/regex.h"

namespace seek {

// `where` names the pattern's place in the file for errors.
StatusOr<std::unique_ptr<Regex>> CompilePattern(const nlohmann::json& pattern, const std::string& where);

// `text` with every match of `regex` replaced by `content`, as JavaScript's
// String.replaceAll. `content` is literal: a '$' in it (a JavaScript
// replacement pattern) must be rejected by the caller at load time.
StatusOr<std::string> ReplaceAll(const Regex& regex, std::string_view text, std::string_view content);

// `s` with every occurrence of `from` replaced by `to` (String.replaceAll
// with a string); an empty `from` leaves `s` as it is.
std::string ReplaceAllLiteral(std::string_view s, std::string_view from, std::string_view to);

}  // namespace seek
