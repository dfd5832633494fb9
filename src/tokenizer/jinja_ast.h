// tokenizer/jinja_ast.h — the syntax tree of a parsed chat template, the
// lexer's tokens, and the entry points of the lexer and parser
// (jinja_lexer.cc, jinja_parser.cc). Internal to chat_template.h.
//
// Every node records the 1-based line and column of its source so that
// runtime errors can point at the construct that failed.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/jinja_value.h"

namespace seek::jinja {

struct Pos {
  int line = 1, col = 1;
};

// ---- lexer -----------------------------------------------------------------

enum class Tok {
  kText,        // literal template text (whitespace control already applied)
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,
  kInt,
  kFloat,
  kOp,  // operators and punctuation: + - * / // % ** ~ == != < <= > >= = . , : | ( ) [ ] { }
  kEnd,
};

struct Token {
  Tok type;
  std::string text;  // kText: the text; kString: the unescaped value; kName/kOp: spelling
  Pos pos;
};

// Splits `source` into tokens with Jinja2's whitespace rules as transformers
// configures them: trim_blocks and lstrip_blocks on, {%- -%} / {{- -}} /
// {#- -#} strip, {%+ / +%} disable lstrip / trim, comments dropped, one
// trailing newline of the template removed (keep_trailing_newline=False).
StatusOr<std::vector<Token>> Lex(std::string_view source);

// ---- syntax tree -----------------------------------------------------------

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,  // value
    kName,     // name
    kList,     // args: items (tuple: is_tuple)
    kDict,     // args: key0, value0, key1, value1, ...
    kAttr,     // args[0].name
    kItem,     // args[0][args[1]]
    kSlice,    // args[0][args[1]:args[2]:args[3]] (null parts absent)
    kCall,     // args[0](args[1..], kwargs)
    kFilter,   // args[0] | name(args[1..], kwargs)
    kTest,     // args[0] is [not] name(args[1..])
    kNot,      // not args[0]
    kNeg,      // -args[0]
    kPos,      // +args[0]
    kBinary,   // args[0] op args[1]: + - * / // % ** ~ == != < <= > >= in "not in"
    kAnd,
    kOr,
    kCond,  // args[0] if args[1] else args[2] (args[2] null: undefined)
  };
  Kind kind;
  Pos pos;
  std::string name;  // kName, kAttr, kFilter, kTest: the name; kBinary: the operator
  Value value;       // kLiteral
  bool negate = false;    // kTest
  bool is_tuple = false;  // kList
  int height = 0;         // of the subtree (a leaf is 0)
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    kText,      // text
    kOutput,    // {{ expr }}
    kIf,        // conds[k] -> bodies[k]; else_body
    kFor,       // {% for targets in expr [if cond] %} body {% else %} else_body
    kSet,       // {% set targets = expr %} or {% set target.attr = expr %}
    kSetBlock,  // {% set target %} body {% endset %}
    kBreak,
    kContinue,
    kBlock,  // body only ({% generation %}...{% endgeneration %})
  };
  Kind kind;
  Pos pos;
  std::string text;
  std::vector<std::string> targets;  // kFor, kSet, kSetBlock: names
  std::string attr;                  // kSet: namespace attribute (targets[0].attr)
  ExprPtr expr;                      // kOutput, kFor (iterable), kSet (value)
  ExprPtr cond;                      // kFor: loop filter
  std::vector<ExprPtr> conds;        // kIf
  std::vector<Body> bodies;          // kIf
  Body body;                         // kFor, kSetBlock, kBlock
  Body else_body;                    // kIf, kFor
};

// Whether a filter / test of this name exists (jinja_filters.cc). The parser
// rejects unknown ones, as Jinja2 does when it compiles a template.
bool IsKnownFilter(std::string_view name);
bool IsKnownTest(std::string_view name);

// Parses tokens into statements. Errors name line and column.
StatusOr<Body> Parse(const std::vector<Token>& tokens);

}  // namespace seek::jinja
