// tokenizer/jinja_parser.cc — tokens to a syntax tree, with Jinja2's operator
// precedence (lowest first): `a if c else b`, or, and, not, comparisons and
// in / not in, + -, ~, * / // %, **, unary - +, then postfix (. [] ()) with
// filters (|) and tests (is) binding to the postfix expression.
#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "tokenizer/jinja_ast.h"

namespace seek::jinja {
namespace {

constexpr int kMaxDepth = 100;   // nesting of blocks and parenthesised expressions
constexpr int kMaxHeight = 256;  // height of one expression tree

class Parser {
 public:
  explicit Parser(const std::vector<Token>& t) : t_(t) {}

  StatusOr<Body> Run() {
    Body body;
    std::string end;
    RETURN_IF_ERROR(ParseBody({}, &body, &end));
    return body;
  }

 private:
  const Token& Peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  bool IsOp(const char* op, size_t ahead = 0) const { return Peek(ahead).type == Tok::kOp && Peek(ahead).text == op; }
  bool IsName(const char* n, size_t ahead = 0) const { return Peek(ahead).type == Tok::kName && Peek(ahead).text == n; }

  Status Error(const Token& at, const std::string& msg) const {
    return InvalidArgumentError("line {} column {}: {}", at.pos.line, at.pos.col, msg);
  }
  static std::string Describe(const Token& t) {
    switch (t.type) {
      case Tok::kEnd: return "end of template";
      case Tok::kText: return "text";
      case Tok::kString: return "a string";
      default: return "'" + t.text + "'";
    }
  }
  Status Expect(const char* op) {
    if (!IsOp(op)) return Error(Peek(), fmt::format("expected '{}', found {}", op, Describe(Peek())));
    ++i_;
    return Status::Ok();
  }
  Status ExpectBlockEnd(const char* tag) {
    if (Peek().type != Tok::kBlockEnd)
      return Error(Peek(), fmt::format("expected '%}}' to close '{}', found {}", tag, Describe(Peek())));
    ++i_;
    return Status::Ok();
  }
  StatusOr<std::string> ExpectName(const char* what) {
    if (Peek().type != Tok::kName) return Error(Peek(), fmt::format("expected {}, found {}", what, Describe(Peek())));
    return t_[i_++].text;
  }

  // Parses statements until a block tag whose name is in `ends` (which is
  // consumed up to the name; *end gets it). Empty `ends`: until kEnd.
  Status ParseBody(const std::vector<std::string>& ends, Body* body, std::string* end) {
    if (++depth_ > kMaxDepth) return Error(Peek(), fmt::format("blocks nested deeper than {}", kMaxDepth));
    while (true) {
      const Token& tok = Peek();
      if (tok.type == Tok::kEnd) {
        if (ends.empty()) break;
        return Error(tok, fmt::format("unexpected end of template: expected '{{% {} %}}'", ends.back()));
      }
      if (tok.type == Tok::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kText;
        s->pos = tok.pos;
        s->text = tok.text;
        body->push_back(std::move(s));
        ++i_;
      } else if (tok.type == Tok::kVarBegin) {
        ++i_;
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kOutput;
        s->pos = tok.pos;
        ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
        if (Peek().type != Tok::kVarEnd) return Error(Peek(), fmt::format("expected '}}}}', found {}", Describe(Peek())));
        ++i_;
        body->push_back(std::move(s));
      } else if (tok.type == Tok::kBlockBegin) {
        const Token& name = Peek(1);
        if (name.type != Tok::kName) return Error(name, fmt::format("expected a tag name, found {}", Describe(name)));
        if (std::find(ends.begin(), ends.end(), name.text) != ends.end()) {
          i_ += 2;
          *end = name.text;
          --depth_;
          return Status::Ok();
        }
        i_ += 2;
        ASSIGN_OR_RETURN(StmtPtr s, ParseTag(name));
        body->push_back(std::move(s));
      } else {
        return Error(tok, fmt::format("unexpected {}", Describe(tok)));
      }
    }
    --depth_;
    return Status::Ok();
  }

  StatusOr<StmtPtr> ParseTag(const Token& name) {
    auto s = std::make_unique<Stmt>();
    s->pos = name.pos;
    const std::string& n = name.text;
    std::string end;
    if (n == "if") {
      s->kind = Stmt::Kind::kIf;
      while (true) {
        ASSIGN_OR_RETURN(ExprPtr c, ParseExpression(true));
        RETURN_IF_ERROR(ExpectBlockEnd("if"));
        s->conds.push_back(std::move(c));
        s->bodies.emplace_back();
        RETURN_IF_ERROR(ParseBody({"elif", "else", "endif"}, &s->bodies.back(), &end));
        if (end == "elif") continue;
        if (end == "else") {
          RETURN_IF_ERROR(ExpectBlockEnd("else"));
          RETURN_IF_ERROR(ParseBody({"endif"}, &s->else_body, &end));
        }
        return FinishEnd(std::move(s), "endif");
      }
    }
    if (n == "for") {
      s->kind = Stmt::Kind::kFor;
      RETURN_IF_ERROR(ParseTargets(&s->targets));
      if (!IsName("in")) return Error(Peek(), fmt::format("expected 'in' in a for loop, found {}", Describe(Peek())));
      ++i_;
      ASSIGN_OR_RETURN(s->expr, ParseExpression(false));
      if (IsName("if")) {
        ++i_;
        ASSIGN_OR_RETURN(s->cond, ParseExpression(false));
      }
      if (IsName("recursive")) return Error(Peek(), "unsupported: recursive for loops");
      RETURN_IF_ERROR(ExpectBlockEnd("for"));
      RETURN_IF_ERROR(ParseBody({"else", "endfor"}, &s->body, &end));
      if (end == "else") {
        RETURN_IF_ERROR(ExpectBlockEnd("else"));
        RETURN_IF_ERROR(ParseBody({"endfor"}, &s->else_body, &end));
      }
      return FinishEnd(std::move(s), "endfor");
    }
    if (n == "set") {
      RETURN_IF_ERROR(ParseTargets(&s->targets));
      if (s->targets.size() == 1 && IsOp(".")) {
        ++i_;
        ASSIGN_OR_RETURN(s->attr, ExpectName("an attribute name after '.'"));
      }
      if (IsOp("=")) {
        ++i_;
        s->kind = Stmt::Kind::kSet;
        ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
        RETURN_IF_ERROR(ExpectBlockEnd("set"));
        return s;
      }
      if (s->targets.size() != 1 || !s->attr.empty()) return Error(Peek(), "expected '=' in set");
      s->kind = Stmt::Kind::kSetBlock;
      RETURN_IF_ERROR(ExpectBlockEnd("set"));
      RETURN_IF_ERROR(ParseBody({"endset"}, &s->body, &end));
      return FinishEnd(std::move(s), "endset");
    }
    if (n == "break" || n == "continue") {
      s->kind = n == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      RETURN_IF_ERROR(ExpectBlockEnd(n.c_str()));
      return s;
    }
    if (n == "generation") {  // transformers' AssistantTracker: renders its body unchanged
      s->kind = Stmt::Kind::kBlock;
      RETURN_IF_ERROR(ExpectBlockEnd("generation"));
      RETURN_IF_ERROR(ParseBody({"endgeneration"}, &s->body, &end));
      return FinishEnd(std::move(s), "endgeneration");
    }
    if (n == "elif" || n == "else" || n.rfind("end", 0) == 0)
      return Error(name, fmt::format("unexpected '{{% {} %}}' with no open block it could close", n));
    return Error(name, fmt::format("unknown or unsupported tag '{}'", n));
  }

  StatusOr<StmtPtr> FinishEnd(StmtPtr s, const char* tag) {
    RETURN_IF_ERROR(ExpectBlockEnd(tag));
    return s;
  }

  Status ParseTargets(std::vector<std::string>* names) {
    const bool paren = IsOp("(");
    if (paren) ++i_;
    while (true) {
      ASSIGN_OR_RETURN(std::string n, ExpectName("a variable name"));
      names->push_back(n);
      if (!IsOp(",")) break;
      ++i_;
    }
    if (paren) RETURN_IF_ERROR(Expect(")"));
    return Status::Ok();
  }

  static void Add(Expr* parent, ExprPtr child) {
    if (child) parent->height = std::max(parent->height, child->height + 1);
    parent->args.push_back(std::move(child));
  }
  // Bounds the tree's height, so that evaluating and destroying it cannot
  // exhaust the stack (chains like a|f|f|f... grow it without nesting).
  Status CheckHeight(const Expr& e) const {
    if (e.height > kMaxHeight) return Error(Peek(), fmt::format("expression nested deeper than {}", kMaxHeight));
    return Status::Ok();
  }

  ExprPtr Node(Expr::Kind k, Pos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->pos = pos;
    return e;
  }

  // `a, b` without parentheses (in set) makes a tuple.
  StatusOr<ExprPtr> ParseTuple(bool with_cond) {
    const Pos pos = Peek().pos;
    ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(with_cond));
    if (!IsOp(",")) return first;
    ExprPtr t = Node(Expr::Kind::kList, pos);
    t->is_tuple = true;
    Add(t.get(), std::move(first));
    while (IsOp(",")) {
      ++i_;
      if (Peek().type == Tok::kBlockEnd) break;
      ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(with_cond));
      Add(t.get(), std::move(e));
    }
    return t;
  }

  StatusOr<ExprPtr> ParseExpression(bool with_cond) {
    if (++depth_ > kMaxDepth) return Error(Peek(), fmt::format("expression nested deeper than {}", kMaxDepth));
    ASSIGN_OR_RETURN(ExprPtr e, ParseOr());
    while (with_cond && IsName("if")) {
      const Pos pos = Peek().pos;
      ++i_;
      ExprPtr c = Node(Expr::Kind::kCond, pos);
      ASSIGN_OR_RETURN(ExprPtr test, ParseOr());
      ExprPtr other;
      if (IsName("else")) {
        ++i_;
        ASSIGN_OR_RETURN(other, ParseExpression(true));
      }
      Add(c.get(), std::move(e));
      Add(c.get(), std::move(test));
      Add(c.get(), std::move(other));
      e = std::move(c);
      RETURN_IF_ERROR(CheckHeight(*e));
    }
    --depth_;
    return e;
  }

  StatusOr<ExprPtr> ParseOr() {
    ASSIGN_OR_RETURN(ExprPtr l, ParseAnd());
    while (IsName("or")) {
      ExprPtr n = Node(Expr::Kind::kOr, Peek().pos);
      ++i_;
      ASSIGN_OR_RETURN(ExprPtr r, ParseAnd());
      Add(n.get(), std::move(l));
      Add(n.get(), std::move(r));
      l = std::move(n);
      RETURN_IF_ERROR(CheckHeight(*l));
    }
    return l;
  }

  StatusOr<ExprPtr> ParseAnd() {
    ASSIGN_OR_RETURN(ExprPtr l, ParseNot());
    while (IsName("and")) {
      ExprPtr n = Node(Expr::Kind::kAnd, Peek().pos);
      ++i_;
      ASSIGN_OR_RETURN(ExprPtr r, ParseNot());
      Add(n.get(), std::move(l));
      Add(n.get(), std::move(r));
      l = std::move(n);
      RETURN_IF_ERROR(CheckHeight(*l));
    }
    return l;
  }

  StatusOr<ExprPtr> ParseNot() {
    if (IsName("not")) {
      ExprPtr n = Node(Expr::Kind::kNot, Peek().pos);
      ++i_;
      if (++depth_ > kMaxDepth) return Error(Peek(), fmt::format("expression nested deeper than {}", kMaxDepth));
      ASSIGN_OR_RETURN(ExprPtr a, ParseNot());
      --depth_;
      Add(n.get(), std::move(a));
      return n;
    }
    return ParseCompare();
  }

  StatusOr<ExprPtr> ParseCompare() {
    ASSIGN_OR_RETURN(ExprPtr l, ParseBinary(0));
    while (true) {
      std::string op;
      const Token& t = Peek();
      if (t.type == Tok::kOp && (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" ||
                                 t.text == ">" || t.text == ">=")) {
        op = t.text;
        ++i_;
      } else if (IsName("in")) {
        op = "in";
        ++i_;
      } else if (IsName("not") && IsName("in", 1)) {
        op = "not in";
        i_ += 2;
      } else {
        break;
      }
      ExprPtr n = Node(Expr::Kind::kBinary, t.pos);
      n->name = op;
      ASSIGN_OR_RETURN(ExprPtr r, ParseBinary(0));
      Add(n.get(), std::move(l));
      Add(n.get(), std::move(r));
      l = std::move(n);
      RETURN_IF_ERROR(CheckHeight(*l));
    }
    return l;
  }

  // Levels: 0: + -, 1: ~, 2: * / // %, 3: ** (then unary).
  StatusOr<ExprPtr> ParseBinary(int level) {
    static const std::vector<std::vector<std::string>> kLevels = {{"+", "-"}, {"~"}, {"*", "/", "//", "%"}, {"**"}};
    if (level == 4) return ParseUnary(true);
    ASSIGN_OR_RETURN(ExprPtr l, ParseBinary(level + 1));
    while (Peek().type == Tok::kOp) {
      const auto& ops = kLevels[level];
      if (std::find(ops.begin(), ops.end(), Peek().text) == ops.end()) break;
      ExprPtr n = Node(Expr::Kind::kBinary, Peek().pos);
      n->name = Peek().text;
      ++i_;
      ASSIGN_OR_RETURN(ExprPtr r, ParseBinary(level + 1));
      Add(n.get(), std::move(l));
      Add(n.get(), std::move(r));
      l = std::move(n);
      RETURN_IF_ERROR(CheckHeight(*l));
    }
    return l;
  }

  StatusOr<ExprPtr> ParseUnary(bool with_filter) {
    if (++depth_ > kMaxDepth) return Error(Peek(), fmt::format("expression nested deeper than {}", kMaxDepth));
    ExprPtr e;
    if (IsOp("-") || IsOp("+")) {
      e = Node(IsOp("-") ? Expr::Kind::kNeg : Expr::Kind::kPos, Peek().pos);
      ++i_;
      ASSIGN_OR_RETURN(ExprPtr a, ParseUnary(false));
      Add(e.get(), std::move(a));
    } else {
      ASSIGN_OR_RETURN(e, ParsePrimary());
      ASSIGN_OR_RETURN(e, ParsePostfix(std::move(e)));
    }
    if (with_filter) {
      ASSIGN_OR_RETURN(e, ParseFilterTest(std::move(e)));
    }
    --depth_;
    return e;
  }

  StatusOr<ExprPtr> ParsePrimary() {
    const Token& t = Peek();
    ExprPtr e;
    switch (t.type) {
      case Tok::kName: {
        ++i_;
        if (t.text == "true" || t.text == "True") return Literal(Value::Bool(true), t.pos);
        if (t.text == "false" || t.text == "False") return Literal(Value::Bool(false), t.pos);
        if (t.text == "none" || t.text == "None") return Literal(Value::None(), t.pos);
        e = Node(Expr::Kind::kName, t.pos);
        e->name = t.text;
        return e;
      }
      case Tok::kString: {
        std::string s;
        while (Peek().type == Tok::kString) s += t_[i_++].text;  // adjacent literals concatenate
        return Literal(Value::String(std::move(s)), t.pos);
      }
      case Tok::kInt: {
        ++i_;
        errno = 0;
        const long long v = std::strtoll(t.text.c_str(), nullptr, 10);
        if (errno == ERANGE) return Error(t, "integer literal out of the 64-bit range: " + t.text);
        return Literal(Value::Int(v), t.pos);
      }
      case Tok::kFloat: ++i_; return Literal(Value::Float(std::strtod(t.text.c_str(), nullptr)), t.pos);
      case Tok::kOp:
        if (t.text == "(") {
          ++i_;
          if (IsOp(")")) {
            ++i_;
            e = Node(Expr::Kind::kList, t.pos);
            e->is_tuple = true;
            return e;
          }
          ASSIGN_OR_RETURN(e, ParseExpression(true));
          if (IsOp(",")) {
            ExprPtr tup = Node(Expr::Kind::kList, t.pos);
            tup->is_tuple = true;
            Add(tup.get(), std::move(e));
            while (IsOp(",")) {
              ++i_;
              if (IsOp(")")) break;
              ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
              Add(tup.get(), std::move(item));
            }
            e = std::move(tup);
          }
          RETURN_IF_ERROR(Expect(")"));
          return e;
        }
        if (t.text == "[" || t.text == "{") {
          const bool dict = t.text == "{";
          ++i_;
          e = Node(dict ? Expr::Kind::kDict : Expr::Kind::kList, t.pos);
          const char* close = dict ? "}" : "]";
          while (!IsOp(close)) {
            ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
            Add(e.get(), std::move(item));
            if (dict) {
              RETURN_IF_ERROR(Expect(":"));
              ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
              Add(e.get(), std::move(v));
            }
            if (!IsOp(",")) break;
            ++i_;
          }
          RETURN_IF_ERROR(Expect(close));
          return e;
        }
        break;
      default: break;
    }
    return Error(t, fmt::format("expected an expression, found {}", Describe(t)));
  }

  ExprPtr Literal(Value v, Pos pos) {
    ExprPtr e = Node(Expr::Kind::kLiteral, pos);
    e->value = std::move(v);
    return e;
  }

  StatusOr<ExprPtr> ParsePostfix(ExprPtr e) {
    while (true) {
      const Token& t = Peek();
      if (IsOp(".")) {
        ++i_;
        const Token& a = Peek();
        ExprPtr n;
        if (a.type == Tok::kName) {
          n = Node(Expr::Kind::kAttr, t.pos);
          n->name = a.text;
          Add(n.get(), std::move(e));
        } else if (a.type == Tok::kInt) {  // x.0 == x[0]
          n = Node(Expr::Kind::kItem, t.pos);
          Add(n.get(), std::move(e));
          Add(n.get(), Literal(Value::Int(std::strtoll(a.text.c_str(), nullptr, 10)), a.pos));
        } else {
          return Error(a, fmt::format("expected an attribute name after '.', found {}", Describe(a)));
        }
        ++i_;
        e = std::move(n);
        RETURN_IF_ERROR(CheckHeight(*e));
      } else if (IsOp("[")) {
        ++i_;
        ASSIGN_OR_RETURN(e, ParseSubscript(std::move(e), t.pos));
        RETURN_IF_ERROR(CheckHeight(*e));
      } else if (IsOp("(")) {
        ExprPtr n = Node(Expr::Kind::kCall, t.pos);
        Add(n.get(), std::move(e));
        RETURN_IF_ERROR(ParseCallArgs(n.get()));
        e = std::move(n);
        RETURN_IF_ERROR(CheckHeight(*e));
      } else {
        return e;
      }
    }
  }

  StatusOr<ExprPtr> ParseSubscript(ExprPtr obj, Pos pos) {
    ExprPtr parts[3];
    int n = 0;
    bool slice = false;
    while (true) {
      if (IsOp(":")) {
        slice = true;
        if (++n > 2) return Error(Peek(), "a slice has at most 3 parts");
        ++i_;
        continue;
      }
      if (IsOp("]")) break;
      if (parts[n]) return Error(Peek(), fmt::format("expected ']' or ':', found {}", Describe(Peek())));
      ASSIGN_OR_RETURN(parts[n], ParseExpression(true));
    }
    ++i_;
    if (!slice) {
      if (!parts[0]) return Error(Peek(), "empty subscript '[]'");
      ExprPtr e = Node(Expr::Kind::kItem, pos);
      Add(e.get(), std::move(obj));
      Add(e.get(), std::move(parts[0]));
      return e;
    }
    ExprPtr e = Node(Expr::Kind::kSlice, pos);
    Add(e.get(), std::move(obj));
    for (auto& p : parts) Add(e.get(), std::move(p));
    return e;
  }

  Status ParseCallArgs(Expr* call) {
    RETURN_IF_ERROR(Expect("("));
    while (!IsOp(")")) {
      if (Peek().type == Tok::kName && IsOp("=", 1)) {
        std::string key = t_[i_].text;
        i_ += 2;
        ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
        call->height = std::max(call->height, v->height + 1);
        call->kwargs.emplace_back(std::move(key), std::move(v));
      } else {
        if (!call->kwargs.empty()) return Error(Peek(), "positional argument after keyword argument");
        ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
        Add(call, std::move(v));
      }
      if (!IsOp(",")) break;
      ++i_;
    }
    return Expect(")");
  }

  StatusOr<ExprPtr> ParseFilterTest(ExprPtr e) {
    while (true) {
      if (IsOp("|")) {
        ++i_;
        const Token& n = Peek();
        ASSIGN_OR_RETURN(std::string name, ExpectName("a filter name after '|'"));
        if (!IsKnownFilter(name)) return Error(n, fmt::format("unknown or unsupported filter '{}'", name));
        ExprPtr f = Node(Expr::Kind::kFilter, n.pos);
        f->name = name;
        Add(f.get(), std::move(e));
        if (IsOp("(")) RETURN_IF_ERROR(ParseCallArgs(f.get()));
        e = std::move(f);
        RETURN_IF_ERROR(CheckHeight(*e));
      } else if (IsName("is")) {
        ++i_;
        ExprPtr t = Node(Expr::Kind::kTest, Peek().pos);
        if (IsName("not")) {
          t->negate = true;
          ++i_;
        }
        const Token& test_name = Peek();
        ASSIGN_OR_RETURN(t->name, ExpectName("a test name after 'is'"));
        if (!IsKnownTest(t->name)) return Error(test_name, fmt::format("unknown or unsupported test '{}'", t->name));
        Add(t.get(), std::move(e));
        if (IsOp("(")) {
          RETURN_IF_ERROR(ParseCallArgs(t.get()));
        } else {
          const Token& a = Peek();
          const bool arg_start = a.type == Tok::kString || a.type == Tok::kInt || a.type == Tok::kFloat ||
                                 (a.type == Tok::kName && a.text != "else" && a.text != "or" && a.text != "and" &&
                                  a.text != "is" && a.text != "if" && a.text != "in" && a.text != "not") ||
                                 (a.type == Tok::kOp && (a.text == "[" || a.text == "{"));
          if (arg_start) {
            ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
            ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
            Add(t.get(), std::move(arg));
          }
        }
        e = std::move(t);
        RETURN_IF_ERROR(CheckHeight(*e));
      } else if (IsOp("(")) {
        ExprPtr n = Node(Expr::Kind::kCall, Peek().pos);
        Add(n.get(), std::move(e));
        RETURN_IF_ERROR(ParseCallArgs(n.get()));
        e = std::move(n);
        RETURN_IF_ERROR(CheckHeight(*e));
      } else {
        return e;
      }
    }
  }

  const std::vector<Token>& t_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

StatusOr<Body> Parse(const std::vector<Token>& tokens) { return Parser(tokens).Run(); }

}  // namespace seek::jinja
