// tokenizer/jinja_builtins.cc — filters, tests, string/dict methods and
// globals of the chat-template interpreter. Anything not listed here is an
// error naming it; nothing unknown is silently ignored.
#include <unicode/uchar.h>

#include <algorithm>
#include <cmath>

#include "tokenizer/jinja_eval.h"
#include "tokenizer/unicode.h"

namespace seek::jinja {

// Positional-or-keyword argument `k` named `name`; null if absent.
const Value* Arg(const CallArgs& a, size_t k, const char* name) {
  if (k < a.positional.size()) return &a.positional[k];
  for (const auto& [n, v] : a.keyword)
    if (n == name) return &v;
  return nullptr;
}

Status CheckArgs(const CallArgs& a, const std::string& what, std::initializer_list<const char*> names) {
  if (a.positional.size() > names.size())
    return InvalidArgumentError("{} takes at most {} arguments, got {}", what, names.size(), a.positional.size());
  for (const auto& kv : a.keyword) {
    const std::string& n = kv.first;
    if (std::none_of(names.begin(), names.end(), [&](const char* x) { return n == x; }))
      return InvalidArgumentError("{} got an unexpected keyword argument '{}'", what, n);
  }
  return Status::Ok();
}

namespace {

StatusOr<std::string> StrArg(const CallArgs& a, size_t k, const char* name, const std::string& what) {
  const Value* v = Arg(a, k, name);
  if (!v) return InvalidArgumentError("{} needs argument '{}'", what, name);
  if (!v->is_string()) return InvalidArgumentError("{}: argument '{}' must be a string, got {}", what, name, v->TypeName());
  return v->s;
}

uint32_t Decode(std::string_view cp) {
  const auto* p = reinterpret_cast<const unsigned char*>(cp.data());
  switch (cp.size()) {
    case 1: return p[0];
    case 2: return ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    case 3: return ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    default: return ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  }
}

// Simple (one-to-one) Unicode case mapping via ICU; Python's full mapping
// differs only for characters such as 'ß' that expand.
std::string MapCase(std::string_view s, int mode) {  // 0 lower, 1 upper, 2 title, 3 capitalize
  std::string out;
  bool prev_cased = false;
  bool first = true;
  for (std::string_view cp : CodePoints(s)) {
    const uint32_t c = Decode(cp);
    UChar32 m;
    if (mode == 0) m = u_tolower(c);
    else if (mode == 1) m = u_toupper(c);
    else if (mode == 2) m = prev_cased ? u_tolower(c) : u_totitle(c);
    else m = first ? u_totitle(c) : u_tolower(c);
    prev_cased = u_hasBinaryProperty(c, UCHAR_CASED) || (u_hasBinaryProperty(c, UCHAR_CASE_IGNORABLE) && prev_cased);
    first = false;
    if (cp.size() == 1 && c >= 0x80) out += cp;  // an invalid byte stays as it is
    else AppendUtf8(static_cast<uint32_t>(m), &out);
  }
  return out;
}

// str.strip / lstrip / rstrip: `chars` null strips Python whitespace.
std::string Strip(std::string_view s, const std::string* chars, bool left, bool right) {
  std::vector<std::string_view> cps = CodePoints(s);
  std::vector<std::string_view> set;
  if (chars) set = CodePoints(*chars);
  auto strip = [&](std::string_view cp) {
    return chars ? std::find(set.begin(), set.end(), cp) != set.end() : IsPySpace(cp);
  };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip(cps[b])) ++b;
  if (right)
    while (e > b && strip(cps[e - 1])) --e;
  if (b == e) return "";
  const char* begin = cps[b].data();
  const char* end = cps[e - 1].data() + cps[e - 1].size();
  return std::string(begin, end);
}

StatusOr<Value> StripMethod(const std::string& s, CallArgs& a, const char* name, bool left, bool right) {
  RETURN_IF_ERROR(CheckArgs(a, name, {"chars"}));
  const Value* c = Arg(a, 0, "chars");
  if (c && !c->is_none() && !c->is_string())
    return InvalidArgumentError("{} arg must be None or str, got {}", name, c->TypeName());
  return Value::String(Strip(s, c && c->is_string() ? &c->s : nullptr, left, right));
}

StatusOr<Value> Split(const std::string& s, CallArgs& a, bool from_right, Budget* budget) {
  const char* name = from_right ? "str.rsplit" : "str.split";
  RETURN_IF_ERROR(CheckArgs(a, name, {"sep", "maxsplit"}));
  const Value* sep = Arg(a, 0, "sep");
  const Value* max = Arg(a, 1, "maxsplit");
  if (sep && !sep->is_none() && !sep->is_string()) return InvalidArgumentError("{}: sep must be None or str", name);
  if (max && max->kind != Value::Kind::kInt) return InvalidArgumentError("{}: maxsplit must be an int", name);
  int64_t maxsplit = max ? max->i : -1;
  List parts;
  if (!sep || sep->is_none()) {  // runs of whitespace; no empty parts
    std::vector<std::string_view> cps = CodePoints(s);
    std::vector<std::pair<size_t, size_t>> words;  // code point ranges
    for (size_t k = 0; k < cps.size();) {
      while (k < cps.size() && IsPySpace(cps[k])) ++k;
      if (k == cps.size()) break;
      size_t e = k;
      while (e < cps.size() && !IsPySpace(cps[e])) ++e;
      words.emplace_back(k, e);
      k = e;
    }
    auto text = [&](size_t b, size_t e) {
      return std::string(cps[b].data(), cps[e - 1].data() + cps[e - 1].size());
    };
    const size_t n = words.size();
    if (maxsplit < 0 || static_cast<size_t>(maxsplit) + 1 >= n) {
      for (auto [b, e] : words) parts.push_back(Value::String(text(b, e)));
    } else if (!from_right) {
      for (int64_t k = 0; k < maxsplit; ++k) parts.push_back(Value::String(text(words[k].first, words[k].second)));
      parts.push_back(Value::String(Strip(text(words[maxsplit].first, cps.size()), nullptr, false, true)));
    } else {
      const size_t first_kept = n - maxsplit;
      parts.push_back(Value::String(Strip(text(0, words[first_kept - 1].second), nullptr, true, false)));
      for (size_t k = first_kept; k < n; ++k) parts.push_back(Value::String(text(words[k].first, words[k].second)));
    }
  } else {
    const std::string& d = sep->s;
    if (d.empty()) return InvalidArgumentError("{}: empty separator", name);
    std::vector<size_t> cuts;
    for (size_t p = s.find(d); p != std::string::npos; p = s.find(d, p + d.size())) cuts.push_back(p);
    if (maxsplit >= 0 && cuts.size() > static_cast<size_t>(maxsplit)) {
      if (from_right) cuts.erase(cuts.begin(), cuts.end() - maxsplit);
      else cuts.resize(maxsplit);
    }
    size_t start = 0;
    for (size_t c : cuts) {
      parts.push_back(Value::String(s.substr(start, c - start)));
      start = c + d.size();
    }
    parts.push_back(Value::String(s.substr(start)));
  }
  RETURN_IF_ERROR(budget->ChargeList(parts.size()));
  RETURN_IF_ERROR(budget->ChargeString(s.size()));
  return Value::MakeList(std::move(parts));
}

StatusOr<Value> Replace(const std::string& s, CallArgs& a, const std::string& what, Budget* budget) {
  RETURN_IF_ERROR(CheckArgs(a, what, {"old", "new", "count"}));
  ASSIGN_OR_RETURN(std::string from, StrArg(a, 0, "old", what));
  ASSIGN_OR_RETURN(std::string to, StrArg(a, 1, "new", what));
  const Value* c = Arg(a, 2, "count");
  if (c && c->kind != Value::Kind::kInt) return InvalidArgumentError("{}: count must be an int", what);
  int64_t count = c ? c->i : -1;
  std::string out;
  auto grow = [&](size_t add) -> Status {
    if (out.size() + add > budget->limits().max_output_bytes)
      return InvalidArgumentError("{}: result exceeds {} bytes", what, budget->limits().max_output_bytes);
    return Status::Ok();
  };
  if (from.empty()) {  // Python inserts `to` around every code point
    for (std::string_view cp : CodePoints(s)) {
      if (count != 0) {
        RETURN_IF_ERROR(grow(to.size()));
        out += to;
        --count;
      }
      out += cp;
    }
    if (count != 0) out += to;
  } else {
    size_t start = 0;
    for (size_t p = s.find(from); p != std::string::npos && count != 0; p = s.find(from, start), --count) {
      RETURN_IF_ERROR(grow(p - start + to.size()));
      out.append(s, start, p - start);
      out += to;
      start = p + from.size();
    }
    out.append(s, start, std::string::npos);
  }
  RETURN_IF_ERROR(budget->ChargeString(out.size()));
  return Value::String(std::move(out));
}

int64_t CodePointCount(const std::string& s) { return static_cast<int64_t>(CountCodePoints(s)); }

StatusOr<Value> StringMethod(const std::string& s, const std::string& name, CallArgs& a, Budget* budget) {
  const std::string what = "str." + name;
  if (name == "strip") return StripMethod(s, a, "str.strip", true, true);
  if (name == "lstrip") return StripMethod(s, a, "str.lstrip", true, false);
  if (name == "rstrip") return StripMethod(s, a, "str.rstrip", false, true);
  if (name == "split" || name == "rsplit") return Split(s, a, name == "rsplit", budget);
  if (name == "replace") return Replace(s, a, what, budget);
  if (name == "startswith" || name == "endswith") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"prefix"}));
    const Value* p = Arg(a, 0, "prefix");
    if (!p) return InvalidArgumentError("{} needs an argument", what);
    std::vector<std::string> cands;
    if (p->is_string()) cands.push_back(p->s);
    else if (p->is_list() && p->tuple)
      for (const Value& x : *p->list) {
        if (!x.is_string()) return InvalidArgumentError("{}: tuple items must be str", what);
        cands.push_back(x.s);
      }
    else return InvalidArgumentError("{} arg must be str or a tuple of str, got {}", what, p->TypeName());
    for (const std::string& c : cands) {
      if (c.size() > s.size()) continue;
      if (name == "startswith" ? s.compare(0, c.size(), c) == 0 : s.compare(s.size() - c.size(), c.size(), c) == 0)
        return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    RETURN_IF_ERROR(CheckArgs(a, what, {}));
    const int mode = name == "lower" ? 0 : name == "upper" ? 1 : name == "title" ? 2 : 3;
    return Value::String(MapCase(s, mode));
  }
  if (name == "find" || name == "rfind" || name == "count") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"sub"}));
    ASSIGN_OR_RETURN(std::string sub, StrArg(a, 0, "sub", what));
    if (name == "count") {
      if (sub.empty()) return Value::Int(CodePointCount(s) + 1);
      int64_t n = 0;
      for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
      return Value::Int(n);
    }
    const size_t p = name == "find" ? s.find(sub) : s.rfind(sub);
    return Value::Int(p == std::string::npos ? -1 : CodePointCount(s.substr(0, p)));
  }
  if (name == "join") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"iterable"}));
    const Value* l = Arg(a, 0, "iterable");
    if (!l || !l->is_list()) return InvalidArgumentError("{} needs a list", what);
    std::string out;
    for (size_t k = 0; k < l->list->size(); ++k) {
      const Value& x = (*l->list)[k];
      if (!x.is_string()) return InvalidArgumentError("{}: item {} is {}, not str", what, k, x.TypeName());
      if (k) out += s;
      out += x.s;
      RETURN_IF_ERROR(budget->ChargeString(out.size()));
    }
    return Value::String(std::move(out));
  }
  if (name == "isdigit" || name == "isalpha" || name == "isspace" || name == "isupper" || name == "islower") {
    RETURN_IF_ERROR(CheckArgs(a, what, {}));
    if (s.empty()) return Value::Bool(false);
    if (name == "isupper" || name == "islower") {
      const std::string other = MapCase(s, name == "isupper" ? 1 : 0);
      return Value::Bool(other == s && MapCase(s, name == "isupper" ? 0 : 1) != s);
    }
    for (std::string_view cp : CodePoints(s)) {
      const uint32_t c = Decode(cp);
      const bool ok = name == "isdigit" ? u_isdigit(c) : name == "isalpha" ? u_isalpha(c) : IsPySpace(cp);
      if (!ok) return Value::Bool(false);
    }
    return Value::Bool(true);
  }
  return InvalidArgumentError("unknown or unsupported method '{}' of str", name);
}

StatusOr<Value> DictMethod(const Value& d, const std::string& name, CallArgs& a, Budget* budget) {
  const std::string what = "dict." + name;
  if (name == "get") {
    RETURN_IF_ERROR(CheckArgs(a, what, {"key", "default"}));
    const Value* k = Arg(a, 0, "key");
    if (!k) return InvalidArgumentError("dict.get needs a key");
    const Value* def = Arg(a, 1, "default");
    const Value* v = k->is_string() ? d.dict->Find(k->s) : nullptr;
    return v ? *v : def ? *def : Value::None();
  }
  RETURN_IF_ERROR(CheckArgs(a, what, {}));
  RETURN_IF_ERROR(budget->ChargeList(d.dict->items.size()));
  List out;
  for (const auto& [k, v] : d.dict->items) {
    if (name == "keys") out.push_back(Value::String(k));
    else if (name == "values") out.push_back(v);
    else {
      Value pair = Value::MakeList({Value::String(k), v});
      pair.tuple = true;
      out.push_back(std::move(pair));
    }
  }
  return Value::MakeList(std::move(out));
}

bool IsStringMethod(const std::string& n) {
  static const char* const kNames[] = {"strip",   "lstrip",  "rstrip", "split",      "rsplit",  "replace",
                                       "startswith", "endswith", "upper", "lower",   "title",   "capitalize",
                                       "find",    "rfind",   "count",  "join",       "isdigit", "isalpha",
                                       "isspace", "isupper", "islower"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* x) { return n == x; });
}

}  // namespace

StatusOr<Value> GetAttr(const Value& obj, const std::string& name, Budget* budget) {
  if (obj.is_string() && IsStringMethod(name)) {
    std::string s = obj.s;
    return Value::Function("str." + name, [s, name, budget](CallArgs& a) { return StringMethod(s, name, a, budget); });
  }
  if (obj.is_dict()) {
    if (!obj.namespace_ && (name == "get" || name == "items" || name == "keys" || name == "values")) {
      Value d = obj;
      return Value::Function("dict." + name, [d, name, budget](CallArgs& a) { return DictMethod(d, name, a, budget); });
    }
    const Value* v = obj.dict->Find(name);
    return v ? *v : Value::Undefined();
  }
  return Value::Undefined();
}

StatusOr<Value> GetItem(const Value& obj, const Value& key, Budget* budget) {
  if (obj.is_dict()) {
    if (key.is_string()) {
      const Value* v = obj.dict->Find(key.s);
      if (v) return *v;
      return GetAttr(obj, key.s, budget);
    }
    return Value::Undefined();
  }
  if ((obj.is_list() || obj.is_string()) && key.is_number() && key.kind != Value::Kind::kFloat) {
    int64_t k = key.kind == Value::Kind::kBool ? key.b : key.i;
    if (obj.is_list()) {
      const int64_t n = static_cast<int64_t>(obj.list->size());
      if (k < 0) k += n;
      return k >= 0 && k < n ? (*obj.list)[k] : Value::Undefined();
    }
    std::vector<std::string_view> cps = CodePoints(obj.s);
    const int64_t n = static_cast<int64_t>(cps.size());
    if (k < 0) k += n;
    return k >= 0 && k < n ? Value::String(std::string(cps[k])) : Value::Undefined();
  }
  if (key.is_string()) return GetAttr(obj, key.s, budget);
  return Value::Undefined();
}

StatusOr<Value> Slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  for (const Value* v : {&start, &stop, &step})
    if (!v->is_undefined() && !v->is_none() && !(v->is_number() && v->kind != Value::Kind::kFloat))
      return InvalidArgumentError("slice indices must be integers or None, got {}", v->TypeName());
  auto get = [](const Value& v, int64_t def) {
    return v.is_undefined() || v.is_none() ? def : v.kind == Value::Kind::kBool ? int64_t{v.b} : v.i;
  };
  std::vector<std::string_view> cps;
  int64_t n;
  if (obj.is_list()) n = static_cast<int64_t>(obj.list->size());
  else if (obj.is_string()) n = static_cast<int64_t>((cps = CodePoints(obj.s)).size());
  else return InvalidArgumentError("cannot slice a {}", obj.TypeName());
  const int64_t st = get(step, 1);
  if (st == 0) return InvalidArgumentError("slice step cannot be zero");
  auto clamp = [&](int64_t x, int64_t lo, int64_t hi) {
    if (x < 0) x = x < -n ? lo : x + n;  // -n - 1 and below clamp to the bound
    return std::min(std::max(x, lo), hi);
  };
  int64_t b, e;
  if (st > 0) {
    b = start.is_undefined() || start.is_none() ? 0 : clamp(get(start, 0), 0, n);
    e = stop.is_undefined() || stop.is_none() ? n : clamp(get(stop, n), 0, n);
  } else {
    b = start.is_undefined() || start.is_none() ? n - 1 : clamp(get(start, 0), -1, n - 1);
    e = stop.is_undefined() || stop.is_none() ? -1 : clamp(get(stop, 0), -1, n - 1);
  }
  List items;
  std::string s;
  for (int64_t k = b; st > 0 ? k < e : k > e; k += st) {
    if (obj.is_list()) items.push_back((*obj.list)[k]);
    else s += cps[k];
    if ((st > 0 && k > INT64_MAX - st) || (st < 0 && k < INT64_MIN - st)) break;
  }
  if (obj.is_string()) return Value::String(std::move(s));
  Value out = Value::MakeList(std::move(items));
  out.tuple = obj.tuple;
  return out;
}

}  // namespace seek::jinja
