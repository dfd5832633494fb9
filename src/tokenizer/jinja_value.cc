// tokenizer/jinja_value.cc — Value conversions with Python semantics.
#include "tokenizer/jinja_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "tokenizer/unicode.h"

namespace seek::jinja {

const Value* Dict::Find(std::string_view key) const {
  for (const auto& [k, v] : items)
    if (k == key) return &v;
  return nullptr;
}

void Dict::Set(const std::string& key, Value v) {
  for (auto& [k, old] : items)
    if (k == key) {
      old = std::move(v);
      return;
    }
  items.emplace_back(key, std::move(v));
}

Value Value::MakeList(List items) {
  Value v;
  v.kind = Kind::kList;
  for (const Value& x : items) v.depth = std::max(v.depth, x.depth);
  v.depth += 1;
  v.list = std::make_shared<List>(std::move(items));
  return v;
}

Value Value::MakeDict(Dict d) {
  Value v;
  v.kind = Kind::kDict;
  for (const auto& kv : d.items) v.depth = std::max(v.depth, kv.second.depth);
  v.depth += 1;
  v.dict = std::make_shared<Dict>(std::move(d));
  return v;
}

Value Value::Function(std::string name, std::function<StatusOr<Value>(CallArgs&)> fn) {
  Value v;
  v.kind = Kind::kCallable;
  v.fn = std::make_shared<Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

bool Value::Truthy() const {
  switch (kind) {
    case Kind::kUndefined:
    case Kind::kNone: return false;
    case Kind::kBool: return b;
    case Kind::kInt: return i != 0;
    case Kind::kFloat: return f != 0;
    case Kind::kString: return !s.empty();
    case Kind::kList: return !list->empty();
    case Kind::kDict: return namespace_ || !dict->items.empty();
    case Kind::kCallable: return true;
  }
  return false;
}

const char* Value::TypeName() const {
  switch (kind) {
    case Kind::kUndefined: return "undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return tuple ? "tuple" : "list";
    case Kind::kDict: return namespace_ ? "Namespace" : "dict";
    case Kind::kCallable: return "function";
  }
  return "?";
}

namespace {

template <typename J>
Value FromJsonImpl(const J& j, int depth, bool* too_deep) {
  if (depth > kMaxValueDepth) {
    *too_deep = true;
    return Value::None();
  }
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::None();
    case nlohmann::json::value_t::boolean: return Value::Bool(j.template get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::Int(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = j.template get<uint64_t>();
      return u > static_cast<uint64_t>(INT64_MAX) ? Value::Float(static_cast<double>(u))
                                                   : Value::Int(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return Value::Float(j.template get<double>());
    case nlohmann::json::value_t::string: return Value::String(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      List l;
      l.reserve(j.size());
      for (const auto& e : j) l.push_back(FromJsonImpl(e, depth + 1, too_deep));
      return Value::MakeList(std::move(l));
    }
    case nlohmann::json::value_t::object: {
      Dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d.items.emplace_back(it.key(), FromJsonImpl(it.value(), depth + 1, too_deep));
      return Value::MakeDict(std::move(d));
    }
    default: return Value::None();  // binary, discarded: not produced by the JSON parser
  }
}

std::string PyQuote(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char q = has_single && !has_double ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(q) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  out += q;
  return out;
}

void JsonString(std::string_view s, std::string* out) {
  *out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        if (c < 0x20) *out += fmt::format("\\u{:04x}", c);
        else *out += static_cast<char>(c);
    }
  }
  *out += '"';
}

template <typename J>
StatusOr<Value> FromJsonChecked(const J& j) {
  bool too_deep = false;
  Value v = FromJsonImpl(j, 0, &too_deep);
  if (too_deep) return InvalidArgumentError("JSON nested deeper than {} levels", kMaxValueDepth);
  return v;
}

}  // namespace

StatusOr<Value> FromJson(const nlohmann::ordered_json& j) { return FromJsonChecked(j); }
StatusOr<Value> FromJson(const nlohmann::json& j) { return FromJsonChecked(j); }

std::string FloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // "-1.2345e+02"
  const size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  const int exp = std::stoi(sci.substr(e + 1));
  std::string sign;
  if (mant[0] == '-') {
    sign = "-";
    mant.erase(0, 1);
  }
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  if (exp < -4 || exp >= 16) {
    std::string m = digits.substr(0, 1);
    if (digits.size() > 1) m += "." + digits.substr(1);
    return fmt::format("{}{}e{}{:02d}", sign, m, exp < 0 ? '-' : '+', std::abs(exp));
  }
  std::string out;
  if (exp < 0) {
    out = "0." + std::string(-exp - 1, '0') + digits;
  } else if (static_cast<int>(digits.size()) <= exp + 1) {
    out = digits + std::string(exp + 1 - digits.size(), '0') + ".0";
  } else {
    out = digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
  }
  return sign + out;
}

std::string ToStr(const Value& v, size_t cap) {
  switch (v.kind) {
    case Value::Kind::kUndefined: return "";
    case Value::Kind::kString: return v.s;
    default: return Repr(v, cap);
  }
}

namespace {

void ReprInto(const Value& v, size_t cap, std::string* out) {
  if (out->size() > cap) return;
  switch (v.kind) {
    case Value::Kind::kUndefined: return;
    case Value::Kind::kNone: *out += "None"; return;
    case Value::Kind::kBool: *out += v.b ? "True" : "False"; return;
    case Value::Kind::kInt: *out += std::to_string(v.i); return;
    case Value::Kind::kFloat: *out += FloatRepr(v.f); return;
    case Value::Kind::kString: *out += PyQuote(v.s); return;
    case Value::Kind::kList:
      *out += v.tuple ? "(" : "[";
      for (size_t k = 0; k < v.list->size() && out->size() <= cap; ++k) {
        if (k) *out += ", ";
        ReprInto((*v.list)[k], cap, out);
      }
      if (v.tuple && v.list->size() == 1) *out += ",";
      *out += v.tuple ? ")" : "]";
      return;
    case Value::Kind::kDict: {
      if (v.namespace_) {
        *out += "<Namespace>";
        return;
      }
      *out += "{";
      bool first = true;
      for (const auto& [k, e] : v.dict->items) {
        if (out->size() > cap) break;
        if (!first) *out += ", ";
        first = false;
        *out += PyQuote(k) + ": ";
        ReprInto(e, cap, out);
      }
      *out += "}";
      return;
    }
    case Value::Kind::kCallable: *out += "<function " + v.fn->name + ">"; return;
  }
}

}  // namespace

std::string Repr(const Value& v, size_t cap) {
  std::string out;
  ReprInto(v, cap, &out);
  return out;
}

Status ToJson(const Value& v, int indent, std::string* out, size_t cap, int depth) {
  if (depth > 256) return InvalidArgumentError("tojson: value nested deeper than 256 levels");
  if (out->size() > cap) return InvalidArgumentError("tojson: the JSON text exceeds {} bytes", cap);
  auto newline = [&](int d) {
    if (indent < 0) return;
    *out += '\n';
    out->append(static_cast<size_t>(indent) * d, ' ');
  };
  switch (v.kind) {
    case Value::Kind::kUndefined: return InvalidArgumentError("tojson: an undefined value is not JSON serializable");
    case Value::Kind::kCallable: return InvalidArgumentError("tojson: a function is not JSON serializable");
    case Value::Kind::kNone: *out += "null"; return Status::Ok();
    case Value::Kind::kBool: *out += v.b ? "true" : "false"; return Status::Ok();
    case Value::Kind::kInt: *out += std::to_string(v.i); return Status::Ok();
    case Value::Kind::kFloat:
      *out += std::isnan(v.f) ? "NaN" : std::isinf(v.f) ? (v.f > 0 ? "Infinity" : "-Infinity") : FloatRepr(v.f);
      return Status::Ok();
    case Value::Kind::kString: JsonString(v.s, out); return Status::Ok();
    case Value::Kind::kList: {
      if (v.list->empty()) {
        *out += "[]";
        return Status::Ok();
      }
      *out += '[';
      for (size_t k = 0; k < v.list->size(); ++k) {
        if (k) *out += indent < 0 ? ", " : ",";
        newline(depth + 1);
        RETURN_IF_ERROR(ToJson((*v.list)[k], indent, out, cap, depth + 1));
      }
      newline(depth);
      *out += ']';
      return Status::Ok();
    }
    case Value::Kind::kDict: {
      if (v.dict->items.empty()) {
        *out += "{}";
        return Status::Ok();
      }
      *out += '{';
      bool first = true;
      for (const auto& [k, e] : v.dict->items) {
        if (!first) *out += indent < 0 ? ", " : ",";
        first = false;
        newline(depth + 1);
        JsonString(k, out);
        *out += ": ";
        RETURN_IF_ERROR(ToJson(e, indent, out, cap, depth + 1));
      }
      newline(depth);
      *out += '}';
      return Status::Ok();
    }
  }
  return Status::Ok();
}

bool Equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind != Value::Kind::kFloat && b.kind != Value::Kind::kFloat)
      return (a.kind == Value::Kind::kBool ? a.b : a.i) == (b.kind == Value::Kind::kBool ? b.b : b.i);
    return a.AsDouble() == b.AsDouble();
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone: return true;
    case Value::Kind::kString: return a.s == b.s;
    case Value::Kind::kList:
      if (a.list == b.list) return true;
      if (a.tuple != b.tuple || a.list->size() != b.list->size()) return false;
      for (size_t k = 0; k < a.list->size(); ++k)
        if (!Equal((*a.list)[k], (*b.list)[k])) return false;
      return true;
    case Value::Kind::kDict:
      if (a.dict == b.dict) return true;
      if (a.namespace_ || b.namespace_ || a.dict->items.size() != b.dict->items.size()) return false;
      for (const auto& [k, e] : a.dict->items) {
        const Value* o = b.dict->Find(k);
        if (!o || !Equal(e, *o)) return false;
      }
      return true;
    case Value::Kind::kCallable: return a.fn == b.fn;
    default: return false;
  }
}

StatusOr<bool> Less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind != Value::Kind::kFloat && b.kind != Value::Kind::kFloat)
      return (a.kind == Value::Kind::kBool ? a.b : a.i) < (b.kind == Value::Kind::kBool ? b.b : b.i);
    return a.AsDouble() < b.AsDouble();
  }
  if (a.is_string() && b.is_string()) return a.s < b.s;  // UTF-8 byte order == code point order
  if (a.is_list() && b.is_list()) {
    for (size_t k = 0; k < a.list->size() && k < b.list->size(); ++k) {
      if (Equal((*a.list)[k], (*b.list)[k])) continue;
      return Less((*a.list)[k], (*b.list)[k]);
    }
    return a.list->size() < b.list->size();
  }
  return InvalidArgumentError("'<' not supported between instances of '{}' and '{}'", a.TypeName(), b.TypeName());
}

size_t CountCodePoints(std::string_view s) {
  size_t count = 0;
  for (size_t k = 0; k < s.size(); ++count) {
    size_t n = Utf8SequenceLength(static_cast<uint8_t>(s[k]));
    if (k + n > s.size()) n = 1;
    for (size_t m = 1; m < n; ++m)
      if ((static_cast<uint8_t>(s[k + m]) & 0xC0) != 0x80) n = 1;
    k += n;
  }
  return count;
}

std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(s.size());
  for (size_t k = 0; k < s.size();) {
    size_t n = Utf8SequenceLength(static_cast<uint8_t>(s[k]));
    if (k + n > s.size()) n = 1;
    for (size_t m = 1; m < n; ++m)
      if ((static_cast<uint8_t>(s[k + m]) & 0xC0) != 0x80) n = 1;
    out.push_back(s.substr(k, n));
    k += n;
  }
  return out;
}

bool IsPySpace(std::string_view cp) {
  if (cp.size() == 1) {
    const unsigned char c = cp[0];
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  }
  static const char* const kSpaces[] = {"\u0085", "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003",
                                        "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a",
                                        "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"};
  for (const char* sp : kSpaces)
    if (cp == sp) return true;
  return false;
}

}  // namespace seek::jinja
