// tokenizer/jinja_lexer.cc — template source to tokens, with Jinja2's
// whitespace control (trim_blocks and lstrip_blocks on, as in transformers).
#include <algorithm>
#include <cctype>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_value.h"
#include "tokenizer/unicode.h"

namespace seek::jinja {
namespace {

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n'; }

// Whitespace stripping of template text uses Python's \s (Unicode spaces too).
size_t LeadingSpace(std::string_view text) {
  size_t k = 0;
  for (std::string_view cp : CodePoints(text)) {
    if (!IsPySpace(cp)) break;
    k += cp.size();
  }
  return k;
}
std::string_view StripTrailingSpace(std::string_view text) {
  std::vector<std::string_view> cps = CodePoints(text);
  while (!cps.empty() && IsPySpace(cps.back())) {
    text.remove_suffix(cps.back().size());
    cps.pop_back();
  }
  return text;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {
    for (size_t k = 0; k < src_.size(); ++k)
      if (src_[k] == '\n') line_starts_.push_back(k + 1);
  }

  StatusOr<std::vector<Token>> Run() {
    size_t pos = 0;
    bool strip_next = false;  // the previous tag ended with '-'
    while (pos <= src_.size()) {
      size_t p = FindOpener(pos);
      const size_t text_end = p == std::string_view::npos ? src_.size() : p;
      std::string_view text = src_.substr(pos, text_end - pos);
      if (strip_next) {
        text.remove_prefix(LeadingSpace(text));
      }
      strip_next = false;
      if (p == std::string_view::npos) {
        Emit(Tok::kText, std::string(text), pos);
        break;
      }
      const char kind = src_[p + 1];  // '{', '%' or '#'
      const char mod = p + 2 < src_.size() ? src_[p + 2] : '\0';
      if (mod == '-') {
        text = StripTrailingSpace(text);
      } else if (mod != '+' && kind != '{') {  // lstrip_blocks
        const size_t nl = text.rfind('\n');
        const size_t tail = nl == std::string_view::npos ? 0 : nl + 1;
        const bool line_start = nl != std::string_view::npos || pos == 0 || src_[pos - 1] == '\n';
        if (line_start && LeadingSpace(text.substr(tail)) == text.size() - tail) text = text.substr(0, tail);
      }
      Emit(Tok::kText, std::string(text), pos);
      size_t q = p + 2 + (mod == '-' || mod == '+' ? 1 : 0);
      if (kind == '#') {
        const size_t close = src_.find("#}", q);
        if (close == std::string_view::npos) return Error(p, "unterminated comment: '{#' without '#}'");
        const char before = close > q ? src_[close - 1] : '\0';
        pos = close + 2;
        if (before == '-') strip_next = true;
        else if (before != '+') pos = TrimNewline(pos);
        continue;
      }
      const bool block = kind == '%';
      Emit(block ? Tok::kBlockBegin : Tok::kVarBegin, block ? "{%" : "{{", p);
      const char* close = block ? "%}" : "}}";
      bool closed = false;
      while (q < src_.size()) {
        while (q < src_.size() && IsWs(src_[q])) ++q;
        if (q >= src_.size()) break;
        if ((src_[q] == '-' || src_[q] == '+') && src_.substr(q + 1, 2) == close) {
          Emit(block ? Tok::kBlockEnd : Tok::kVarEnd, close, q);
          pos = q + 3;
          if (src_[q] == '-') strip_next = true;
          closed = true;
          break;
        }
        if (src_.substr(q, 2) == close) {
          Emit(block ? Tok::kBlockEnd : Tok::kVarEnd, close, q);
          pos = q + 2;
          if (block) pos = TrimNewline(pos);
          closed = true;
          break;
        }
        auto next = LexOne(q);
        if (!next.ok()) return next.status();
        q = *next;
      }
      if (!closed) return Error(p, fmt::format("unterminated tag: '{}' without '{}'", block ? "{%" : "{{", close));
    }
    Emit(Tok::kEnd, "", src_.size());
    return std::move(tokens_);
  }

 private:
  size_t FindOpener(size_t from) const {
    for (size_t k = src_.find('{', from); k != std::string_view::npos; k = src_.find('{', k + 1)) {
      if (k + 1 < src_.size() && (src_[k + 1] == '{' || src_[k + 1] == '%' || src_[k + 1] == '#')) return k;
    }
    return std::string_view::npos;
  }

  size_t TrimNewline(size_t pos) const {  // trim_blocks: one newline after a block tag
    if (pos < src_.size() && src_[pos] == '\n') return pos + 1;
    if (pos + 1 < src_.size() && src_[pos] == '\r' && src_[pos + 1] == '\n') return pos + 2;
    return pos;
  }

  Pos PosAt(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const size_t line_start = it == line_starts_.begin() ? 0 : *(it - 1);
    return Pos{static_cast<int>(it - line_starts_.begin()) + 1, static_cast<int>(offset - line_start) + 1};
  }

  void Emit(Tok t, std::string text, size_t offset) {
    if (t == Tok::kText && text.empty()) return;
    tokens_.push_back(Token{t, std::move(text), PosAt(offset)});
  }

  Status Error(size_t offset, const std::string& msg) const {
    const Pos p = PosAt(offset);
    return InvalidArgumentError("line {} column {}: {}", p.line, p.col, msg);
  }

  // Lexes one token inside a tag starting at q; returns the offset after it.
  StatusOr<size_t> LexOne(size_t q) {
    const char c = src_[q];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t e = q;
      while (e < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[e])) || src_[e] == '_')) ++e;
      Emit(Tok::kName, std::string(src_.substr(q, e - q)), q);
      return e;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return LexNumber(q);
    if (c == '\'' || c == '"') return LexString(q);
    static const char* const kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                       ">",  "=",  ".",  ",",  ":",  "|",  "(", ")", "[", "]", "{", "}"};
    for (const char* op : kOps) {
      const std::string_view o(op);
      if (src_.substr(q, o.size()) == o) {
        Emit(Tok::kOp, std::string(o), q);
        return q + o.size();
      }
    }
    return Error(q, fmt::format("unexpected character '{}' inside a tag", src_.substr(q, Utf8SequenceLength(c))));
  }

  StatusOr<size_t> LexNumber(size_t q) {
    auto digits = [&](size_t k) {
      while (k < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[k])) ||
                                 (src_[k] == '_' && k + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k + 1])))))
        ++k;
      return k;
    };
    size_t e = digits(q);
    bool is_float = false;
    if (e + 1 < src_.size() && src_[e] == '.' && std::isdigit(static_cast<unsigned char>(src_[e + 1]))) {
      e = digits(e + 1);
      is_float = true;
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t k = e + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) {
        e = digits(k);
        is_float = true;
      }
    }
    std::string text;
    for (char ch : src_.substr(q, e - q))
      if (ch != '_') text += ch;
    Emit(is_float ? Tok::kFloat : Tok::kInt, text, q);
    return e;
  }

  StatusOr<size_t> LexString(size_t q) {
    const char quote = src_[q];
    std::string out;
    size_t k = q + 1;
    auto hex = [&](size_t at, int n, uint32_t* cp) {
      if (at + n > src_.size()) return false;
      *cp = 0;
      for (int m = 0; m < n; ++m) {
        const char h = src_[at + m];
        if (!std::isxdigit(static_cast<unsigned char>(h))) return false;
        *cp = *cp * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
      }
      return true;
    };
    while (k < src_.size() && src_[k] != quote) {
      if (src_[k] != '\\') {
        out += src_[k++];
        continue;
      }
      if (k + 1 >= src_.size()) break;
      const char e = src_[k + 1];
      k += 2;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case 'a': out += '\a'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '\n': break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          const int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp;
          if (!hex(k, n, &cp) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return Error(k - 2, fmt::format("bad \\{} escape in a string literal", e));
          AppendUtf8(cp, &out);
          k += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = e - '0';
            for (int m = 0; m < 2 && k < src_.size() && src_[k] >= '0' && src_[k] <= '7'; ++m) cp = cp * 8 + (src_[k++] - '0');
            AppendUtf8(cp, &out);
          } else {  // Python keeps unknown escapes as written
            out += '\\';
            out += e;
          }
      }
    }
    if (k >= src_.size()) return Error(q, "unterminated string literal");
    Emit(Tok::kString, std::move(out), q);
    return k + 1;
  }

  std::string_view src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

StatusOr<std::vector<Token>> Lex(std::string_view source) {
  // Jinja2 normalises \r\n and \r to \n, then drops one trailing newline.
  std::string src;
  src.reserve(source.size());
  for (size_t k = 0; k < source.size(); ++k) {
    if (source[k] == '\r') {
      src += '\n';
      if (k + 1 < source.size() && source[k + 1] == '\n') ++k;
    } else {
      src += source[k];
    }
  }
  if (!src.empty() && src.back() == '\n') src.pop_back();
  return Lexer(src).Run();
}

}  // namespace seek::jinja
