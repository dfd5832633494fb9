// tokenizer/jinja_eval.h — executes a parsed chat template (jinja_ast.h).
// Internal to chat_template.h.
//
// Scoping follows Jinja2: each for-loop iteration runs in a fresh scope, so a
// {% set %} inside a loop is gone after the iteration; namespace() objects
// carry state out of loops. Limits keep any template finite: output, loop
// iterations, list sizes and the bytes that string operations may produce.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_value.h"

namespace seek::jinja {

struct Limits {
  size_t max_output_bytes = size_t{64} << 20;  // rendered text and any one string
  size_t max_work_bytes = size_t{1} << 30;     // bytes created by string operations, in total
  int64_t max_iterations = 1'000'000;          // loop iterations, in total
  size_t max_list_size = 1'000'000;            // elements of one list (range, l * n, l + l)
};

// Tracks the limits of one render; builtins charge the work they do.
class Budget {
 public:
  explicit Budget(const Limits& limits) : limits_(limits) {}
  const Limits& limits() const { return limits_; }
  // Fails once the total work or a single string's size passes the limits.
  Status ChargeString(size_t bytes);
  Status ChargeList(size_t elements);
  Status ChargeWork(size_t bytes);  // bytes copied, with no single-string limit
  Status ChargeIteration();
  // Every namespace() made during the render; the Renderer empties them at
  // the end, which frees reference cycles (ns.self = ns) and keeps the
  // destruction of values shallow.
  void AddNamespace(std::shared_ptr<Dict> ns) { namespaces_.push_back(std::move(ns)); }
  void ClearNamespaces();

 private:
  std::vector<std::shared_ptr<Dict>> namespaces_;
  Limits limits_;
  size_t work_ = 0;
  int64_t iterations_ = 0;
};

// Builtins (jinja_builtins.cc). Errors carry no position; the caller adds it.
// Positional-or-keyword argument `k` named `name`; null if absent.
const Value* Arg(const CallArgs& a, size_t k, const char* name);
// Rejects unknown keywords and too many positional arguments of `what`.
Status CheckArgs(const CallArgs& a, const std::string& what, std::initializer_list<const char*> names);
StatusOr<Value> ApplyFilter(const std::string& name, const Value& v, CallArgs& args, Budget* budget);
StatusOr<bool> ApplyTest(const std::string& name, const Value& v, CallArgs& args);
// obj.name: a bound method, a dict entry, or undefined.
StatusOr<Value> GetAttr(const Value& obj, const std::string& name, Budget* budget);
// obj[key] (Python indexing; a missing key or index is undefined).
StatusOr<Value> GetItem(const Value& obj, const Value& key, Budget* budget);
// Python slicing of a list or string.
StatusOr<Value> Slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// Globals: namespace, raise_exception, range, dict.
void AddGlobals(std::unordered_map<std::string, Value>* globals, Budget* budget);

class Renderer {
 public:
  // `name` labels errors; `globals` is the render context.
  Renderer(std::string name, std::unordered_map<std::string, Value> globals, const Limits& limits);
  ~Renderer();
  StatusOr<std::string> Render(const Body& body);

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  Status Exec(const Body& body, std::string* out);
  Status ExecFor(const Stmt& s, std::string* out);
  StatusOr<Value> Eval(const Expr& e);  // EvalImpl, then bounds the result's depth
  StatusOr<Value> EvalImpl(const Expr& e);
  StatusOr<Value> EvalBinary(const Expr& e);
  StatusOr<Value> EvalCall(const Expr& e);
  Status EvalArgs(const Expr& e, size_t first, CallArgs* args);
  Value Lookup(const std::string& name) const;
  void Assign(const std::string& name, Value v);
  Status At(const Pos& p, const Status& s) const;

  std::string name_;
  std::vector<std::unordered_map<std::string, Value>> scopes_;  // [0]: globals
  Budget budget_;
  Flow flow_ = Flow::kNormal;
  int loop_depth_ = 0;
  int depth_ = 0;  // recursion guard of Eval/Exec
};

}  // namespace seek::jinja
