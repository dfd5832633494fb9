// tokenizer/jinja_eval.cc — statements and operators of the chat-template
// interpreter, with Python/Jinja2 semantics.
#include "tokenizer/jinja_eval.h"

#include <cmath>

namespace seek::jinja {

Status Budget::ChargeString(size_t bytes) {
  if (bytes > limits_.max_output_bytes)
    return InvalidArgumentError("a string of {} bytes exceeds the limit of {} bytes", bytes, limits_.max_output_bytes);
  work_ += bytes;
  if (work_ > limits_.max_work_bytes)
    return InvalidArgumentError("string operations produced more than {} bytes in total", limits_.max_work_bytes);
  return Status::Ok();
}

Status Budget::ChargeWork(size_t bytes) {
  work_ += bytes;
  if (work_ > limits_.max_work_bytes)
    return InvalidArgumentError("string operations produced more than {} bytes in total", limits_.max_work_bytes);
  return Status::Ok();
}

Status Budget::ChargeList(size_t elements) {
  if (elements > limits_.max_list_size)
    return InvalidArgumentError("a list of {} elements exceeds the limit of {}", elements, limits_.max_list_size);
  return ChargeString(elements * 16);
}

Status Budget::ChargeIteration() {
  if (++iterations_ > limits_.max_iterations)
    return InvalidArgumentError("more than {} loop iterations", limits_.max_iterations);
  return Status::Ok();
}

void Budget::ClearNamespaces() {
  std::vector<std::pair<std::string, Value>> doomed;
  for (auto& ns : namespaces_) {
    for (auto& kv : ns->items) doomed.push_back(std::move(kv));
    ns->items.clear();
  }
  doomed.clear();  // each value's own nesting is at most kMaxValueDepth
  namespaces_.clear();
}

Renderer::~Renderer() {
  scopes_.clear();
  budget_.ClearNamespaces();
}

Renderer::Renderer(std::string name, std::unordered_map<std::string, Value> globals, const Limits& limits)
    : name_(std::move(name)), budget_(limits) {
  AddGlobals(&globals, &budget_);
  scopes_.push_back(std::move(globals));
  scopes_.emplace_back();  // the template's own top-level scope
}

Status Renderer::At(const Pos& p, const Status& s) const {
  if (s.ok()) return s;
  if (s.message().rfind("chat template", 0) == 0) return s;  // already located
  return Status(s.code(), fmt::format("chat template {} line {} column {}: {}", name_, p.line, p.col, s.message()));
}

StatusOr<std::string> Renderer::Render(const Body& body) {
  std::string out;
  RETURN_IF_ERROR(Exec(body, &out));
  return out;
}

Value Renderer::Lookup(const std::string& name) const {
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
    auto f = it->find(name);
    if (f != it->end()) return f->second;
  }
  return Value::Undefined();
}

void Renderer::Assign(const std::string& name, Value v) { scopes_.back()[name] = std::move(v); }

Status Renderer::Exec(const Body& body, std::string* out) {
  if (++depth_ > 400) return InvalidArgumentError("chat template {}: blocks nested too deeply", name_);
  for (const StmtPtr& sp : body) {
    const Stmt& s = *sp;
    switch (s.kind) {
      case Stmt::Kind::kText: *out += s.text; break;
      case Stmt::Kind::kOutput: {
        auto v = Eval(*s.expr);
        if (!v.ok()) return At(s.pos, v.status());
        *out += ToStr(*v, budget_.limits().max_output_bytes);
        break;
      }
      case Stmt::Kind::kIf: {
        const Body* chosen = &s.else_body;
        for (size_t k = 0; k < s.conds.size(); ++k) {
          auto c = Eval(*s.conds[k]);
          if (!c.ok()) return At(s.conds[k]->pos, c.status());
          if (c->Truthy()) {
            chosen = &s.bodies[k];
            break;
          }
        }
        RETURN_IF_ERROR(Exec(*chosen, out));
        break;
      }
      case Stmt::Kind::kFor: RETURN_IF_ERROR(ExecFor(s, out)); break;
      case Stmt::Kind::kSet: {
        auto v = Eval(*s.expr);
        if (!v.ok()) return At(s.pos, v.status());
        if (!s.attr.empty()) {
          Value ns = Lookup(s.targets[0]);
          if (!ns.is_dict() || !ns.namespace_)
            return At(s.pos, InvalidArgumentError("cannot assign attribute '{}' of '{}' ({}): only namespace() objects "
                                                  "take attribute assignment",
                                                  s.attr, s.targets[0], ns.TypeName()));
          ns.dict->Set(s.attr, std::move(*v));
        } else if (s.targets.size() == 1) {
          Assign(s.targets[0], std::move(*v));
        } else {
          if (!v->is_list() || v->list->size() != s.targets.size())
            return At(s.pos, InvalidArgumentError("cannot unpack {} into {} names", v->TypeName(), s.targets.size()));
          for (size_t k = 0; k < s.targets.size(); ++k) Assign(s.targets[k], (*v->list)[k]);
        }
        break;
      }
      case Stmt::Kind::kSetBlock: {
        std::string captured;
        RETURN_IF_ERROR(Exec(s.body, &captured));
        Assign(s.targets[0], Value::String(std::move(captured)));
        break;
      }
      case Stmt::Kind::kBreak:
      case Stmt::Kind::kContinue:
        if (loop_depth_ == 0)
          return At(s.pos, InvalidArgumentError("'{}' outside a for loop", s.kind == Stmt::Kind::kBreak ? "break" : "continue"));
        flow_ = s.kind == Stmt::Kind::kBreak ? Flow::kBreak : Flow::kContinue;
        break;
      case Stmt::Kind::kBlock: RETURN_IF_ERROR(Exec(s.body, out)); break;
    }
    if (out->size() > budget_.limits().max_output_bytes)
      return At(s.pos, InvalidArgumentError("output exceeds {} bytes", budget_.limits().max_output_bytes));
    if (flow_ != Flow::kNormal) break;
  }
  --depth_;
  return Status::Ok();
}

Status Renderer::ExecFor(const Stmt& s, std::string* out) {
  auto it = Eval(*s.expr);
  if (!it.ok()) return At(s.expr->pos, it.status());
  List items;
  switch (it->kind) {
    case Value::Kind::kList: items = *it->list; break;
    case Value::Kind::kDict:
      for (const auto& [k, v] : it->dict->items) items.push_back(Value::String(k));
      break;
    case Value::Kind::kString:
      if (CountCodePoints(it->s) > budget_.limits().max_list_size)
        return At(s.expr->pos, InvalidArgumentError("a loop over a string of more than {} characters",
                                                    budget_.limits().max_list_size));
      for (std::string_view cp : CodePoints(it->s)) items.push_back(Value::String(std::string(cp)));
      break;
    case Value::Kind::kUndefined: break;
    default: return At(s.expr->pos, InvalidArgumentError("'{}' object is not iterable", it->TypeName()));
  }
  auto bind = [&](const Value& item) -> Status {
    if (s.targets.size() == 1) {
      Assign(s.targets[0], item);
      return Status::Ok();
    }
    if (!item.is_list() || item.list->size() != s.targets.size())
      return At(s.pos, InvalidArgumentError("cannot unpack {} into {} loop variables", item.TypeName(), s.targets.size()));
    for (size_t k = 0; k < s.targets.size(); ++k) Assign(s.targets[k], (*item.list)[k]);
    return Status::Ok();
  };
  if (s.cond) {  // {% for x in xs if cond %}: filter first, loop.length counts what is left
    List kept;
    for (const Value& item : items) {
      RETURN_IF_ERROR(At(s.pos, budget_.ChargeIteration()));
      scopes_.emplace_back();
      Status st = bind(item);
      StatusOr<Value> c = st.ok() ? Eval(*s.cond) : StatusOr<Value>(st);
      scopes_.pop_back();
      if (!c.ok()) return At(s.cond->pos, c.status());
      if (c->Truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }
  if (items.empty()) return Exec(s.else_body, out);
  const int64_t n = static_cast<int64_t>(items.size());
  // One loop object, updated in place each iteration (as Jinja2's LoopContext).
  Value loop = Value::MakeDict();
  loop.dict->items = {{"index", Value::Int(1)},      {"index0", Value::Int(0)},   {"revindex", Value::Int(n)},
                      {"revindex0", Value::Int(n - 1)}, {"first", Value::Bool(true)}, {"last", Value::Bool(n == 1)},
                      {"length", Value::Int(n)},     {"previtem", Value()},       {"nextitem", Value()},
                      {"depth", Value::Int(1)},      {"depth0", Value::Int(0)}};
  for (const Value& item : items) loop.depth = std::max(loop.depth, item.depth + 1);
  auto& f = loop.dict->items;
  ++loop_depth_;
  scopes_.emplace_back();
  Status st;
  for (int64_t k = 0; k < n && st.ok(); ++k) {
    st = At(s.pos, budget_.ChargeIteration());
    if (!st.ok()) break;
    f[0].second.i = k + 1;
    f[1].second.i = k;
    f[2].second.i = n - k;
    f[3].second.i = n - k - 1;
    f[4].second.b = k == 0;
    f[5].second.b = k == n - 1;
    f[7].second = k > 0 ? items[k - 1] : Value::Undefined();
    f[8].second = k + 1 < n ? items[k + 1] : Value::Undefined();
    scopes_.back().clear();  // each iteration starts from a fresh scope
    Assign("loop", loop);
    st = bind(items[k]);
    if (st.ok()) st = Exec(s.body, out);
    const Flow fl = flow_;
    flow_ = Flow::kNormal;
    if (fl == Flow::kBreak) break;
  }
  scopes_.pop_back();
  RETURN_IF_ERROR(st);
  --loop_depth_;
  return Status::Ok();
}

Status Renderer::EvalArgs(const Expr& e, size_t first, CallArgs* args) {
  for (size_t k = first; k < e.args.size(); ++k) {
    ASSIGN_OR_RETURN(Value v, Eval(*e.args[k]));
    args->positional.push_back(std::move(v));
  }
  for (const auto& [key, ex] : e.kwargs) {
    ASSIGN_OR_RETURN(Value v, Eval(*ex));
    args->keyword.emplace_back(key, std::move(v));
  }
  return Status::Ok();
}

StatusOr<Value> Renderer::Eval(const Expr& e) {
  auto v = EvalImpl(e);
  if (v.ok() && v->depth > kMaxValueDepth)
    return At(e.pos, InvalidArgumentError("value nested deeper than {} levels", kMaxValueDepth));
  if (v.ok() && v->is_string() && v->s.size() > budget_.limits().max_output_bytes)
    return At(e.pos, InvalidArgumentError("a string of {} bytes exceeds the limit of {} bytes", v->s.size(),
                                          budget_.limits().max_output_bytes));
  return v;
}

StatusOr<Value> Renderer::EvalImpl(const Expr& e) {
  struct DepthGuard {
    int* d;
    ~DepthGuard() { --*d; }
  } guard{&depth_};
  if (++depth_ > 1000) return At(e.pos, InvalidArgumentError("expression nested too deeply"));
  switch (e.kind) {
    case Expr::Kind::kLiteral: return e.value;
    case Expr::Kind::kName: return Lookup(e.name);
    case Expr::Kind::kList: {
      List items;
      for (const ExprPtr& a : e.args) {
        ASSIGN_OR_RETURN(Value v, Eval(*a));
        items.push_back(std::move(v));
      }
      Value v = Value::MakeList(std::move(items));
      v.tuple = e.is_tuple;
      return v;
    }
    case Expr::Kind::kDict: {
      Dict d;
      for (size_t k = 0; k + 1 < e.args.size(); k += 2) {
        ASSIGN_OR_RETURN(Value key, Eval(*e.args[k]));
        if (!key.is_string())
          return At(e.args[k]->pos, InvalidArgumentError("dict keys must be strings, got {}", key.TypeName()));
        ASSIGN_OR_RETURN(Value v, Eval(*e.args[k + 1]));
        d.Set(key.s, std::move(v));
      }
      return Value::MakeDict(std::move(d));
    }
    case Expr::Kind::kAttr: {
      ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      if (obj.is_undefined())
        return At(e.pos, InvalidArgumentError("cannot read attribute '{}' of an undefined value", e.name));
      auto r = GetAttr(obj, e.name, &budget_);
      if (!r.ok()) return At(e.pos, r.status());
      return r;
    }
    case Expr::Kind::kItem: {
      ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      ASSIGN_OR_RETURN(Value key, Eval(*e.args[1]));
      if (obj.is_undefined())
        return At(e.pos, InvalidArgumentError("cannot index an undefined value with [{}]", Repr(key)));
      auto r = GetItem(obj, key, &budget_);
      if (!r.ok()) return At(e.pos, r.status());
      return r;
    }
    case Expr::Kind::kSlice: {
      ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      Value parts[3];
      for (int k = 0; k < 3; ++k) {
        if (e.args[k + 1]) {
          ASSIGN_OR_RETURN(parts[k], Eval(*e.args[k + 1]));
        }
      }
      auto r = Slice(obj, parts[0], parts[1], parts[2]);
      if (!r.ok()) return At(e.pos, r.status());
      return r;
    }
    case Expr::Kind::kCall: return EvalCall(e);
    case Expr::Kind::kFilter: {
      ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      CallArgs args;
      RETURN_IF_ERROR(EvalArgs(e, 1, &args));
      auto r = ApplyFilter(e.name, v, args, &budget_);
      if (!r.ok()) return At(e.pos, r.status());
      return r;
    }
    case Expr::Kind::kTest: {
      ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      CallArgs args;
      RETURN_IF_ERROR(EvalArgs(e, 1, &args));
      auto r = ApplyTest(e.name, v, args);
      if (!r.ok()) return At(e.pos, r.status());
      return Value::Bool(*r != e.negate);
    }
    case Expr::Kind::kNot: {
      ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      return Value::Bool(!v.Truthy());
    }
    case Expr::Kind::kNeg:
    case Expr::Kind::kPos: {
      ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      const bool neg = e.kind == Expr::Kind::kNeg;
      if (v.kind == Value::Kind::kFloat) return Value::Float(neg ? -v.f : v.f);
      if (v.is_number()) {
        const int64_t x = v.kind == Value::Kind::kBool ? v.b : v.i;
        if (neg && x == INT64_MIN) return At(e.pos, InvalidArgumentError("integer overflow"));
        return Value::Int(neg ? -x : x);
      }
      return At(e.pos, InvalidArgumentError("bad operand type for unary {}: '{}'", neg ? '-' : '+', v.TypeName()));
    }
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr: {
      ASSIGN_OR_RETURN(Value l, Eval(*e.args[0]));
      if (l.Truthy() == (e.kind == Expr::Kind::kOr)) return l;
      return Eval(*e.args[1]);
    }
    case Expr::Kind::kCond: {
      ASSIGN_OR_RETURN(Value c, Eval(*e.args[1]));
      if (c.Truthy()) return Eval(*e.args[0]);
      if (e.args[2]) return Eval(*e.args[2]);
      return Value::Undefined();
    }
    case Expr::Kind::kBinary: {
      auto r = EvalBinary(e);
      if (!r.ok()) return At(e.pos, r.status());
      return r;
    }
  }
  return Value::Undefined();
}

StatusOr<Value> Renderer::EvalCall(const Expr& e) {
  const Expr& callee = *e.args[0];
  ASSIGN_OR_RETURN(Value f, Eval(callee));
  if (f.kind != Value::Kind::kCallable) {
    if (callee.kind == Expr::Kind::kAttr) {
      ASSIGN_OR_RETURN(Value obj, Eval(*callee.args[0]));
      return At(e.pos, InvalidArgumentError("unknown or unsupported method '{}' of {}", callee.name, obj.TypeName()));
    }
    if (callee.kind == Expr::Kind::kName && f.is_undefined())
      return At(e.pos, InvalidArgumentError("unknown function '{}'", callee.name));
    return At(e.pos, InvalidArgumentError("'{}' object is not callable", f.TypeName()));
  }
  CallArgs args;
  RETURN_IF_ERROR(EvalArgs(e, 1, &args));
  auto r = f.fn->fn(args);
  if (!r.ok()) return At(e.pos, r.status());
  return r;
}

namespace {

Status BadOperands(const std::string& op, const Value& a, const Value& b) {
  return InvalidArgumentError("unsupported operand types for {}: '{}' and '{}'", op, a.TypeName(), b.TypeName());
}

int64_t AsInt(const Value& v) { return v.kind == Value::Kind::kBool ? v.b : v.i; }

// Bytes that copying these elements copies: strings are held by value,
// lists and dicts are shared.
size_t CopiedBytes(const List& l) {
  size_t n = 0;
  for (const Value& x : l) n += x.s.size();
  return n;
}

StatusOr<Value> Repeat(const Value& seq, int64_t n, Budget* budget) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    if (!seq.s.empty() && static_cast<uint64_t>(n) > budget->limits().max_output_bytes / seq.s.size())
      return InvalidArgumentError("string repetition exceeds {} bytes", budget->limits().max_output_bytes);
    RETURN_IF_ERROR(budget->ChargeString(seq.s.size() * n));
    std::string out;
    for (int64_t k = 0; k < n; ++k) out += seq.s;
    return Value::String(std::move(out));
  }
  if (!seq.list->empty() && static_cast<uint64_t>(n) > budget->limits().max_list_size / seq.list->size())
    return InvalidArgumentError("list repetition exceeds {} elements", budget->limits().max_list_size);
  RETURN_IF_ERROR(budget->ChargeList(seq.list->size() * n));
  const size_t bytes = CopiedBytes(*seq.list);
  if (bytes && static_cast<uint64_t>(n) > budget->limits().max_work_bytes / bytes)
    return InvalidArgumentError("list repetition would copy more than {} bytes", budget->limits().max_work_bytes);
  RETURN_IF_ERROR(budget->ChargeWork(bytes * n));
  List out;
  for (int64_t k = 0; k < n; ++k) out.insert(out.end(), seq.list->begin(), seq.list->end());
  return Value::MakeList(std::move(out));
}

}  // namespace

StatusOr<Value> Renderer::EvalBinary(const Expr& e) {
  ASSIGN_OR_RETURN(Value a, Eval(*e.args[0]));
  ASSIGN_OR_RETURN(Value b, Eval(*e.args[1]));
  const std::string& op = e.name;
  using K = Value::Kind;
  if (op == "==") return Value::Bool(Equal(a, b));
  if (op == "!=") return Value::Bool(!Equal(a, b));
  if (op == "<" || op == ">" || op == "<=" || op == ">=") {
    if (a.is_undefined() || b.is_undefined()) return BadOperands(op, a, b);
    const bool swap = op == ">" || op == "<=";
    ASSIGN_OR_RETURN(bool lt, swap ? Less(b, a) : Less(a, b));
    return Value::Bool(op == "<" || op == ">" ? lt : !lt);
  }
  if (op == "in" || op == "not in") {
    bool found = false;
    if (b.is_string()) {
      if (!a.is_string()) return InvalidArgumentError("'in <string>' requires a string on the left, got {}", a.TypeName());
      found = b.s.find(a.s) != std::string::npos;
    } else if (b.is_list()) {
      for (const Value& x : *b.list) found = found || Equal(a, x);
    } else if (b.is_dict()) {
      found = a.is_string() && b.dict->Find(a.s) != nullptr;
    } else if (!b.is_undefined()) {
      return InvalidArgumentError("argument of type '{}' is not iterable", b.TypeName());
    }
    return Value::Bool(found == (op == "in"));
  }
  if (op == "~") {
    const size_t cap = budget_.limits().max_output_bytes;
    std::string s = ToStr(a, cap) + ToStr(b, cap);
    RETURN_IF_ERROR(budget_.ChargeString(s.size()));
    return Value::String(std::move(s));
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      RETURN_IF_ERROR(budget_.ChargeString(a.s.size() + b.s.size()));
      return Value::String(a.s + b.s);
    }
    if (a.is_list() && b.is_list()) {
      RETURN_IF_ERROR(budget_.ChargeList(a.list->size() + b.list->size()));
      RETURN_IF_ERROR(budget_.ChargeWork(CopiedBytes(*a.list) + CopiedBytes(*b.list)));
      List l = *a.list;
      l.insert(l.end(), b.list->begin(), b.list->end());
      return Value::MakeList(std::move(l));
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && b.is_number() && b.kind != K::kFloat) return Repeat(a, AsInt(b), &budget_);
    if ((b.is_string() || b.is_list()) && a.is_number() && a.kind != K::kFloat) return Repeat(b, AsInt(a), &budget_);
  }
  if (!a.is_number() || !b.is_number()) return BadOperands(op, a, b);
  if (a.kind != K::kFloat && b.kind != K::kFloat && op != "/") {
    const int64_t x = AsInt(a), y = AsInt(b);
    int64_t r = 0;
    if (op == "+" && !__builtin_add_overflow(x, y, &r)) return Value::Int(r);
    if (op == "-" && !__builtin_sub_overflow(x, y, &r)) return Value::Int(r);
    if (op == "*" && !__builtin_mul_overflow(x, y, &r)) return Value::Int(r);
    if (op == "//" || op == "%") {
      if (y == 0) return InvalidArgumentError("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) return InvalidArgumentError("integer overflow");
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return Value::Int(op == "//" ? q : m);
    }
    if (op == "**") {
      if (y < 0) return Value::Float(std::pow(static_cast<double>(x), static_cast<double>(y)));
      int64_t acc = 1;
      for (int64_t k = 0; k < y; ++k) {
        if (__builtin_mul_overflow(acc, x, &acc)) return InvalidArgumentError("integer overflow in **");
        if (acc == 0 || acc == 1) break;
        if (acc == -1) {
          acc = (y - k - 1) % 2 == 0 ? -1 : 1;
          break;
        }
      }
      return Value::Int(acc);
    }
    return InvalidArgumentError("integer overflow in {}", op);
  }
  const double x = a.AsDouble(), y = b.AsDouble();
  if (op == "+") return Value::Float(x + y);
  if (op == "-") return Value::Float(x - y);
  if (op == "*") return Value::Float(x * y);
  if (op == "**") return Value::Float(std::pow(x, y));
  if (y == 0) return InvalidArgumentError("division by zero");
  if (op == "/") return Value::Float(x / y);
  if (op == "//") return Value::Float(std::floor(x / y));
  if (op == "%") {
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    return Value::Float(m);
  }
  return InvalidArgumentError("unknown operator '{}'", op);
}

}  // namespace seek::jinja
