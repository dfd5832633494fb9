// tokenizer/jinja_value.h — the value type of the chat-template interpreter
// (chat_template.h): Python/Jinja2 semantics for the subset that Hugging Face
// chat templates use.
//
// A Value is undefined, none, bool, int (int64), float (double), string
// (UTF-8), list (also tuples), dict (string keys, insertion order; also
// namespaces) or a callable. Lists, dicts and callables are shared by
// reference, as Python objects are: `ns.x = 1` changes every copy of `ns`.
// Conversions to text follow Python: str(None) == "None", str(True) ==
// "True", floats print as repr(float), lists and dicts as their repr.
//
// Thread-safety: values are not synchronised; a render owns its values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek::jinja {

struct Value;
using List = std::vector<Value>;

// Keys in insertion order; lookups are linear (chat messages are small).
struct Dict {
  std::vector<std::pair<std::string, Value>> items;
  const Value* Find(std::string_view key) const;
  void Set(const std::string& key, Value v);
};

// Arguments of a call: positional and keyword (`namespace(a=1)`).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

struct Callable {
  std::string name;  // for messages: "namespace", "str.split", ...
  std::function<StatusOr<Value>(CallArgs&)> fn;
};

struct Value {
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kCallable };

  Kind kind = Kind::kUndefined;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::shared_ptr<List> list;
  std::shared_ptr<Dict> dict;
  std::shared_ptr<Callable> fn;
  // Nesting of lists and dicts (0 for scalars and namespaces, whose contents
  // may change): the interpreter bounds it so that recursion over values
  // (repr, ==, destruction) stays shallow.
  int depth = 0;
  bool tuple = false;      // list written as (a, b): repr uses parentheses
  bool namespace_ = false;  // dict made by namespace(): attribute assignment allowed

  static Value Undefined() { return Value(); }
  static Value None() { Value v; v.kind = Kind::kNone; return v; }
  static Value Bool(bool x) { Value v; v.kind = Kind::kBool; v.b = x; return v; }
  static Value Int(int64_t x) { Value v; v.kind = Kind::kInt; v.i = x; return v; }
  static Value Float(double x) { Value v; v.kind = Kind::kFloat; v.f = x; return v; }
  static Value String(std::string x) { Value v; v.kind = Kind::kString; v.s = std::move(x); return v; }
  static Value MakeList(List items = {});
  static Value MakeDict(Dict d = {});
  static Value Function(std::string name, std::function<StatusOr<Value>(CallArgs&)> fn);

  bool is_undefined() const { return kind == Kind::kUndefined; }
  bool is_none() const { return kind == Kind::kNone; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_dict() const { return kind == Kind::kDict; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kFloat || kind == Kind::kBool; }
  double AsDouble() const { return kind == Kind::kFloat ? f : kind == Kind::kBool ? (b ? 1 : 0) : static_cast<double>(i); }

  // Python truth value (undefined is false).
  bool Truthy() const;
  // Jinja2 type name for error messages: "str", "int", "list", "undefined", ...
  const char* TypeName() const;
};

// Deepest nesting of lists and dicts a value may have.
constexpr int kMaxValueDepth = 256;

// JSON (nlohmann, ordered or not) to Value; objects keep their key order.
// Fails if the JSON nests deeper than kMaxValueDepth.
StatusOr<Value> FromJson(const nlohmann::ordered_json& j);
StatusOr<Value> FromJson(const nlohmann::json& j);

// Conversions to text stop soon after the text passes `cap` bytes (the caller
// then rejects it as too long), so a huge list cannot exhaust memory.
constexpr size_t kDefaultTextCap = size_t{64} << 20;
// str(v) as Jinja2 renders it ({{ v }}); undefined renders as "".
std::string ToStr(const Value& v, size_t cap = kDefaultTextCap);
// repr(v) (strings quoted), used inside lists and dicts.
std::string Repr(const Value& v, size_t cap = kDefaultTextCap);
// json.dumps(v, ensure_ascii=False, indent=indent) as transformers' tojson
// filter does (indent < 0: one line, ", " and ": " separators). Fails on
// undefined or callables.
// Fails once the text passes `cap` bytes.
Status ToJson(const Value& v, int indent, std::string* out, size_t cap = kDefaultTextCap, int depth = 0);
// Python ==.
bool Equal(const Value& a, const Value& b);
// Python <: numbers, strings (code point order) and lists; else an error.
StatusOr<bool> Less(const Value& a, const Value& b);
// Python float repr: shortest round-trip digits, "1.0", "1e+20", "inf", "nan".
std::string FloatRepr(double d);

// UTF-8 helpers: code points of valid UTF-8 (invalid bytes count as one each).
std::vector<std::string_view> CodePoints(std::string_view s);
size_t CountCodePoints(std::string_view s);  // CodePoints(s).size() without allocating
// Python str.isspace for one code point given as UTF-8.
bool IsPySpace(std::string_view cp);

}  // namespace seek::jinja
