// tokenizer/pattern.cc — see pattern.h.
#include "tokenizer/pattern.h"

namespace seek {
namespace {

std::string EscapeRegex(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<Regex>> CompilePattern(const nlohmann::json& pattern, const std::string& where) {
  if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string())
    return Regex::Compile(pattern["Regex"].get<std::string>(), where);
  if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string()) {
    const std::string s = pattern["String"].get<std::string>();
    if (s.empty()) return DataLossError("{}: pattern String must not be empty", where);
    return Regex::Compile(EscapeRegex(s), where);
  }
  return DataLossError("{}: pattern must be {{\"Regex\": ...}} or {{\"String\": ...}}, got {}", where,
                       pattern.dump());
}

StatusOr<std::string> ReplaceAll(const Regex& regex, std::string_view text, std::string_view content) {
  ASSIGN_OR_RETURN(auto matches, regex.FindAll(text));
  if (matches.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    out.append(text, prev, b - prev);
    out.append(content);
    prev = e;
  }
  out.append(text, prev, std::string_view::npos);
  return out;
}

std::string ReplaceAllLiteral(std::string_view s, std::string_view from, std::string_view to) {
  if (from.empty()) return std::string(s);
  std::string out;
  for (size_t pos = 0;;) {
    const size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) {
      out.append(s, pos, std::string_view::npos);
      return out;
    }
    out.append(s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
}

}  // namespace seek
