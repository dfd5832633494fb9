// tokenizer/jinja_filters.cc — the filters, tests and global functions of the
// chat-template interpreter (Jinja2 built-ins as transformers configures
// them: tojson is json.dumps(ensure_ascii=False), raise_exception is added).
#include <algorithm>
#include <cmath>

#include "tokenizer/jinja_eval.h"

namespace seek::jinja {
namespace {

// Elements of an iterable as a for loop sees them (dict: keys).
StatusOr<List> Items(const Value& v, const std::string& what, Budget* budget) {
  switch (v.kind) {
    case Value::Kind::kList: return *v.list;
    case Value::Kind::kUndefined: return List{};
    case Value::Kind::kDict: {
      List l;
      for (const auto& [k, x] : v.dict->items) l.push_back(Value::String(k));
      return l;
    }
    case Value::Kind::kString: {
      RETURN_IF_ERROR(budget->ChargeList(CountCodePoints(v.s)));
      List l;
      for (std::string_view cp : CodePoints(v.s)) l.push_back(Value::String(std::string(cp)));
      return l;
    }
    default: return InvalidArgumentError("{}: '{}' object is not iterable", what, v.TypeName());
  }
}

// attribute="a.b" lookup as Jinja2's make_attrgetter does (dots and integer parts).
StatusOr<Value> Attribute(const Value& v, const std::string& path, Budget* budget) {
  Value cur = v;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    Value key = Value::String(part);
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit) && part.size() < 18)
      key = Value::Int(std::stoll(part));
    ASSIGN_OR_RETURN(cur, GetItem(cur, key, budget));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

StatusOr<Value> SelectAttr(const Value& v, CallArgs& a, bool select, const std::string& what, Budget* budget) {
  ASSIGN_OR_RETURN(List items, Items(v, what, budget));
  if (a.positional.empty() || !a.positional[0].is_string())
    return InvalidArgumentError("{} needs an attribute name (a string) as first argument", what);
  if (!a.keyword.empty()) return InvalidArgumentError("{} takes no keyword arguments", what);
  List out;
  for (const Value& item : items) {
    ASSIGN_OR_RETURN(Value attr, Attribute(item, a.positional[0].s, budget));
    bool ok;
    if (a.positional.size() >= 2) {
      if (!a.positional[1].is_string()) return InvalidArgumentError("{}: the test name must be a string", what);
      CallArgs targs;
      targs.positional.assign(a.positional.begin() + 2, a.positional.end());
      ASSIGN_OR_RETURN(ok, ApplyTest(a.positional[1].s, attr, targs));
    } else {
      ok = attr.Truthy();
    }
    if (ok == select) out.push_back(item);
  }
  return Value::MakeList(std::move(out));
}

}  // namespace

bool IsKnownFilter(std::string_view name) {
  static const char* const kNames[] = {
      "default", "d",     "tojson",  "length",     "count", "string", "trim",       "upper",      "lower",
      "title",   "capitalize", "replace", "first", "last",   "list",  "reverse", "unique", "sort", "join", "items",
      "dictsort", "selectattr", "rejectattr", "map", "abs", "int", "float"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* x) { return name == x; });
}

bool IsKnownTest(std::string_view name) {
  static const char* const kNames[] = {
      "eq",      "equalto", "==",      "ne",      "!=",     "sameas",   "lt",       "lessthan", "gt",
      "greaterthan", "le",  "ge",      "in",      "divisibleby", "defined", "undefined", "none", "string",
      "mapping", "number",  "integer", "float",   "boolean", "true",   "false",    "sequence", "iterable",
      "callable", "odd",    "even",    "lower",   "upper"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* x) { return name == x; });
}

StatusOr<Value> ApplyFilter(const std::string& name, const Value& v, CallArgs& a, Budget* budget) {
  const std::string what = "filter '" + name + "'";
  const size_t cap = budget->limits().max_output_bytes;  // text conversions stop past it
  using K = Value::Kind;
  if (name == "default" || name == "d") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"default_value", "boolean"}));
    const Value* def = Arg(a, 0, "default_value");
    const Value* boolean = Arg(a, 1, "boolean");
    const bool use_default = v.is_undefined() || (boolean && boolean->Truthy() && !v.Truthy());
    return use_default ? (def ? *def : Value::String("")) : v;
  }
  if (name == "tojson") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"indent"}));
    const Value* indent = Arg(a, 0, "indent");
    if (indent && !indent->is_none() && indent->kind != K::kInt)
      return InvalidArgumentError("{}: indent must be an int or None", what);
    if (indent && indent->kind == K::kInt && (indent->i < 0 || indent->i > 64))
      return InvalidArgumentError("{}: indent must be in [0, 64]", what);
    std::string out;
    RETURN_IF_ERROR(ToJson(v, indent && indent->kind == K::kInt ? static_cast<int>(indent->i) : -1, &out,
                           budget->limits().max_output_bytes));
    RETURN_IF_ERROR(budget->ChargeString(out.size()));
    return Value::String(std::move(out));
  }
  if (name == "length" || name == "count") {
    RETURN_IF_ERROR(CheckArgs(a, what, {}));
    switch (v.kind) {
      case K::kString: return Value::Int(static_cast<int64_t>(CountCodePoints(v.s)));
      case K::kList: return Value::Int(static_cast<int64_t>(v.list->size()));
      case K::kDict: return Value::Int(static_cast<int64_t>(v.dict->items.size()));
      case K::kUndefined: return Value::Int(0);
      default: return InvalidArgumentError("{}: object of type '{}' has no len()", what, v.TypeName());
    }
  }
  if (name == "string") {
    RETURN_IF_ERROR(CheckArgs(a, what, {}));
    return Value::String(ToStr(v, cap));
  }
  if (name == "trim") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"chars"}));
    CallArgs args;
    if (const Value* c = Arg(a, 0, "chars")) args.positional.push_back(*c);
    ASSIGN_OR_RETURN(Value strip, GetAttr(Value::String(ToStr(v, cap)), "strip", budget));
    return strip.fn->fn(args);
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    RETURN_IF_ERROR(CheckArgs(a, what, {}));
    ASSIGN_OR_RETURN(Value m, GetAttr(Value::String(ToStr(v, cap)), name, budget));
    CallArgs none;
    return m.fn->fn(none);
  }
  if (name == "replace") {
    ASSIGN_OR_RETURN(Value m, GetAttr(Value::String(ToStr(v, cap)), "replace", budget));
    return m.fn->fn(a);
  }
  if (name == "first" || name == "last") {
    RETURN_IF_ERROR(CheckArgs(a, what, {}));
    ASSIGN_OR_RETURN(List items, Items(v, what, budget));
    if (items.empty()) return Value::Undefined();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list" || name == "reverse" || name == "unique" || name == "sort") {
    RETURN_IF_ERROR(CheckArgs(a, what, name == "sort" ? std::initializer_list<const char*>{"reverse"}
                                                      : std::initializer_list<const char*>{}));
    ASSIGN_OR_RETURN(List items, Items(v, what, budget));
    RETURN_IF_ERROR(budget->ChargeList(items.size()));
    if (name == "reverse") {
      if (v.is_string()) {
        std::string s;
        for (auto it = items.rbegin(); it != items.rend(); ++it) s += it->s;
        return Value::String(std::move(s));
      }
      std::reverse(items.begin(), items.end());
    } else if (name == "unique") {
      List out;
      for (const Value& x : items)
        if (std::none_of(out.begin(), out.end(), [&](const Value& y) { return Equal(x, y); })) out.push_back(x);
      items = std::move(out);
    } else if (name == "sort") {
      Status err;
      std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
        auto lt = Less(x, y);
        if (!lt.ok()) {
          err = lt.status();
          return false;
        }
        return *lt;
      });
      RETURN_IF_ERROR(err);
      const Value* rev = Arg(a, 0, "reverse");
      if (rev && rev->Truthy()) std::reverse(items.begin(), items.end());
    }
    return Value::MakeList(std::move(items));
  }
  if (name == "join") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"d", "attribute"}));
    const Value* sep = Arg(a, 0, "d");
    const Value* attr = Arg(a, 1, "attribute");
    ASSIGN_OR_RETURN(List items, Items(v, what, budget));
    std::string out;
    for (size_t k = 0; k < items.size(); ++k) {
      if (k && sep) out += ToStr(*sep);
      if (attr) {
        ASSIGN_OR_RETURN(Value x, Attribute(items[k], ToStr(*attr), budget));
        out += ToStr(x, budget->limits().max_output_bytes);
      } else {
        out += ToStr(items[k], budget->limits().max_output_bytes);
      }
      RETURN_IF_ERROR(budget->ChargeString(out.size()));
    }
    return Value::String(std::move(out));
  }
  if (name == "items" || name == "dictsort") {
    RETURN_IF_ERROR(CheckArgs(a, what, {}));
    if (v.is_undefined()) return Value::MakeList();
    if (!v.is_dict()) return InvalidArgumentError("{}: can only be applied to a dict, got {}", what, v.TypeName());
    List out;
    for (const auto& [k, x] : v.dict->items) {
      Value pair = Value::MakeList({Value::String(k), x});
      pair.tuple = true;
      out.push_back(std::move(pair));
    }
    if (name == "dictsort")
      std::stable_sort(out.begin(), out.end(), [](const Value& x, const Value& y) { return (*x.list)[0].s < (*y.list)[0].s; });
    return Value::MakeList(std::move(out));
  }
  if (name == "selectattr" || name == "rejectattr") return SelectAttr(v, a, name == "selectattr", what, budget);
  if (name == "map") {
    const Value* attr = Arg(a, 99, "attribute");
    if (!attr || !a.positional.empty()) return InvalidArgumentError("{}: only map(attribute=...) is supported", what);
    RETURN_IF_ERROR(CheckArgs(a, what, {"attribute", "default"}));
    const Value* def = Arg(a, 99, "default");
    ASSIGN_OR_RETURN(List items, Items(v, what, budget));
    List out;
    for (const Value& item : items) {
      ASSIGN_OR_RETURN(Value x, Attribute(item, ToStr(*attr), budget));
      out.push_back(x.is_undefined() && def ? *def : x);
    }
    return Value::MakeList(std::move(out));
  }
  if (name == "abs") {
    RETURN_IF_ERROR(CheckArgs(a, what, {}));
    if (v.kind == K::kFloat) return Value::Float(std::fabs(v.f));
    if (v.is_number() && v.kind != K::kFloat) {
      const int64_t x = v.kind == K::kBool ? v.b : v.i;
      if (x == INT64_MIN) return InvalidArgumentError("{}: integer overflow", what);
      return Value::Int(x < 0 ? -x : x);
    }
    return InvalidArgumentError("{}: bad operand type '{}'", what, v.TypeName());
  }
  if (name == "int" || name == "float") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"default"}));
    const Value* def = Arg(a, 0, "default");
    const Value fallback = def ? *def : name == "int" ? Value::Int(0) : Value::Float(0);
    double d;
    if (v.is_number()) d = v.AsDouble();
    else if (v.is_string()) {
      char* end = nullptr;
      const std::string t = v.s;
      d = std::strtod(t.c_str(), &end);
      if (t.empty() || end != t.c_str() + t.size()) return fallback;
    } else return fallback;
    if (name == "float") return Value::Float(d);
    if (v.kind == K::kInt) return v;
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return fallback;
    return Value::Int(static_cast<int64_t>(d));
  }
  return InvalidArgumentError("unknown or unsupported filter '{}'", name);
}

StatusOr<bool> ApplyTest(const std::string& name, const Value& v, CallArgs& a) {
  using K = Value::Kind;
  const std::string what = "test '" + name + "'";
  auto one = [&]() -> StatusOr<Value> {
    if (a.positional.size() != 1 || !a.keyword.empty()) return InvalidArgumentError("{} takes one argument", what);
    return a.positional[0];
  };
  auto none = [&]() -> Status {
    if (!a.positional.empty() || !a.keyword.empty()) return InvalidArgumentError("{} takes no argument", what);
    return Status::Ok();
  };
  if (name == "eq" || name == "equalto" || name == "==" || name == "ne" || name == "!=" || name == "sameas") {
    ASSIGN_OR_RETURN(Value o, one());
    const bool eq = name == "sameas" ? (v.kind == o.kind && Equal(v, o)) : Equal(v, o);
    return name == "ne" || name == "!=" ? !eq : eq;
  }
  if (name == "lt" || name == "lessthan" || name == "gt" || name == "greaterthan" || name == "le" || name == "ge") {
    ASSIGN_OR_RETURN(Value o, one());
    if (name == "lt" || name == "lessthan") return Less(v, o);
    if (name == "gt" || name == "greaterthan") return Less(o, v);
    ASSIGN_OR_RETURN(bool lt, name == "le" ? Less(o, v) : Less(v, o));
    return !lt;
  }
  if (name == "in") {
    ASSIGN_OR_RETURN(Value o, one());
    if (o.is_string()) {
      if (!v.is_string()) return InvalidArgumentError("{}: 'in <string>' needs a string", what);
      return o.s.find(v.s) != std::string::npos;
    }
    if (o.is_list()) return std::any_of(o.list->begin(), o.list->end(), [&](const Value& x) { return Equal(v, x); });
    if (o.is_dict()) return v.is_string() && o.dict->Find(v.s) != nullptr;
    return InvalidArgumentError("{}: argument of type '{}' is not iterable", what, o.TypeName());
  }
  if (name == "divisibleby") {
    ASSIGN_OR_RETURN(Value o, one());
    if (v.kind != K::kInt || o.kind != K::kInt) return InvalidArgumentError("{} needs integers", what);
    if (o.i == 0) return InvalidArgumentError("{}: division by zero", what);
    return o.i == -1 || v.i % o.i == 0;
  }
  RETURN_IF_ERROR(none());
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.kind == K::kInt;
  if (name == "float") return v.kind == K::kFloat;
  if (name == "boolean") return v.kind == K::kBool;
  if (name == "true") return v.kind == K::kBool && v.b;
  if (name == "false") return v.kind == K::kBool && !v.b;
  if (name == "sequence") return v.is_list() || v.is_string() || v.is_dict();
  if (name == "iterable") return v.is_list() || v.is_string() || v.is_dict() || v.is_undefined();
  if (name == "callable") return v.kind == K::kCallable;
  if (name == "odd" || name == "even") {
    if (v.kind != K::kInt) return InvalidArgumentError("{} needs an integer, got {}", what, v.TypeName());
    return (v.i % 2 != 0) == (name == "odd");
  }
  if (name == "lower" || name == "upper") {
    CallArgs noargs;
    ASSIGN_OR_RETURN(Value m, GetAttr(Value::String(ToStr(v)), name == "lower" ? "islower" : "isupper", nullptr));
    ASSIGN_OR_RETURN(Value r, m.fn->fn(noargs));
    return r.b;
  }
  return InvalidArgumentError("unknown or unsupported test '{}'", name);
}

void AddGlobals(std::unordered_map<std::string, Value>* g, Budget* budget) {
  (*g)["namespace"] = Value::Function("namespace", [budget](CallArgs& a) -> StatusOr<Value> {
    Dict d;
    for (const Value& p : a.positional) {
      if (!p.is_dict()) return InvalidArgumentError("namespace() takes only a dict as positional argument");
      for (const auto& [k, v] : p.dict->items) d.Set(k, v);
    }
    for (const auto& [k, v] : a.keyword) d.Set(k, v);
    Value ns = Value::MakeDict(std::move(d));
    ns.namespace_ = true;
    ns.depth = 0;  // opaque: its contents may change
    budget->AddNamespace(ns.dict);
    return ns;
  });
  (*g)["dict"] = Value::Function("dict", [](CallArgs& a) -> StatusOr<Value> {
    if (!a.positional.empty()) return InvalidArgumentError("dict() takes only keyword arguments here");
    Dict d;
    for (const auto& [k, v] : a.keyword) d.Set(k, v);
    return Value::MakeDict(std::move(d));
  });
  (*g)["raise_exception"] = Value::Function("raise_exception", [](CallArgs& a) -> StatusOr<Value> {
    std::string msg;
    for (const Value& p : a.positional) msg += ToStr(p);
    return InvalidArgumentError("raise_exception: {}", msg);
  });
  (*g)["range"] = Value::Function("range", [budget](CallArgs& a) -> StatusOr<Value> {
    if (a.positional.empty() || a.positional.size() > 3 || !a.keyword.empty())
      return InvalidArgumentError("range() takes 1 to 3 integer arguments");
    int64_t x[3] = {0, 0, 1};
    for (const Value& p : a.positional)
      if (p.kind != Value::Kind::kInt && p.kind != Value::Kind::kBool)
        return InvalidArgumentError("range() arguments must be integers, got {}", p.TypeName());
    auto geti = [](const Value& p) { return p.kind == Value::Kind::kBool ? int64_t{p.b} : p.i; };
    if (a.positional.size() == 1) x[1] = geti(a.positional[0]);
    else
      for (size_t k = 0; k < a.positional.size(); ++k) x[k] = geti(a.positional[k]);
    if (x[2] == 0) return InvalidArgumentError("range() step must not be zero");
    const long double count = x[2] > 0 ? std::ceil((static_cast<long double>(x[1]) - x[0]) / x[2])
                                       : std::ceil((static_cast<long double>(x[0]) - x[1]) / -static_cast<long double>(x[2]));
    if (count > static_cast<long double>(budget->limits().max_list_size))
      return InvalidArgumentError("range() of {} elements exceeds the limit of {}", static_cast<double>(count),
                                  budget->limits().max_list_size);
    List l;
    for (int64_t k = 0; k < static_cast<int64_t>(count); ++k) l.push_back(Value::Int(x[0] + k * x[2]));
    RETURN_IF_ERROR(budget->ChargeList(l.size()));
    return Value::MakeList(std::move(l));
  });
}

}  // namespace seek::jinja
