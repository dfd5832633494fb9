// tokenizer/regex.cc — see regex.h.
#include "tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer/unicode.h"

namespace seek {
namespace {

// JavaScript's \s (ECMA-262 WhiteSpace + LineTerminator), as class contents.
constexpr const char* kJsSpace =
    "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
    "\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

// Per-thread PCRE2 match state: match data sized for one group and a JIT stack
// that may grow to 64 MiB (long runs of whitespace).
struct MatchState {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  MatchState() { pcre2_jit_stack_assign(context, nullptr, stack); }
  ~MatchState() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(data);
  }
};

}  // namespace

StatusOr<std::string> TranslatePattern(const std::string& pattern, const std::string& what) {
  std::string p = ReplaceAll(pattern, "(?i:'s|'t|'re|'ve|'m|'ll|'d)",
                             "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))");
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      ++i;
      if (e == 's') {
        out += in_class ? std::string(kJsSpace) : "[" + std::string(kJsSpace) + "]";
      } else if (e == 'S') {
        if (in_class)
          return UnimplementedError("{}: regex {:?}: \\S inside a character class is not supported", what,
                                    pattern);
        out += "[^" + std::string(kJsSpace) + "]";
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

StatusOr<std::unique_ptr<Regex>> Regex::Compile(const std::string& pattern, const std::string& what) {
  ASSIGN_OR_RETURN(std::string translated, TranslatePattern(pattern, what));
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return InvalidArgumentError("{}: regex {:?} does not compile (PCRE2 at offset {}: {})", what, pattern,
                                offset, reinterpret_cast<const char*>(message));
  }
  // Falls back to the interpreter if JIT is unavailable.
  const bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  std::unique_ptr<Regex> regex(new Regex());
  regex->jit_ = jit;
  regex->fast_ = SelectFastPattern(pattern);
  if (regex->fast_ != FastPattern::kNone) UnicodeClasses::Get();  // build the table now, not on first use
  regex->pattern_ = pattern;
  regex->what_ = what;
  regex->code_ = code;
  return regex;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

StatusOr<std::vector<std::pair<size_t, size_t>>> Regex::FindAll(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> matches;
  RETURN_IF_ERROR(FindAll(text, &matches));
  return matches;
}

Status Regex::FindAll(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const {
  if (fast_ != FastPattern::kNone) {
    FastFindAll(fast_, text, out);
    return Status::Ok();
  }
  return FindAllPcre2(text, out);
}

Status Regex::FindAllPcre2(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const {
  thread_local MatchState state;
  auto* code = static_cast<pcre2_code*>(code_);
  std::vector<std::pair<size_t, size_t>>& matches = *out;
  matches.clear();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  while (start <= text.size()) {
    // pcre2_jit_match skips pcre2_match's option checks; same results.
    const int rc = jit_ ? pcre2_jit_match(code, subject, text.size(), start, 0, state.data, state.context)
                        : pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, state.data,
                                      state.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      return Status(StatusCode::kInternal, fmt::format("{}: regex {:?} failed on a {}-byte text: {}", what_,
                                                       pattern_, text.size(),
                                                       reinterpret_cast<const char*>(message)));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(state.data);
    const size_t b = ov[0], e = ov[1];
    if (e > b) {
      matches.emplace_back(b, e);
      start = e;
    } else {
      if (b >= text.size()) break;
      start = b + Utf8SequenceLength(static_cast<uint8_t>(text[b]));
    }
  }
  return Status::Ok();
}

}  // namespace seek
