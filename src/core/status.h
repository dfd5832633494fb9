// core/status.h — errors that a user, a file or a peer can cause.
//
// Status carries a code, a message that names the file, field or value and
// says what would be valid, and optionally the name of the field at fault
// (WithField). StatusOr<T> holds either a value or a non-OK Status. CHECK
// (core/check.h) is for invariants no input can break.
// Thread-safety: value types; no shared state.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace seek {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // a value the caller gave is out of range or malformed
  kNotFound,         // a file, tensor or key that must exist does not
  kDataLoss,         // a file is truncated or corrupt
  kIoError,          // the OS refused a read or write
  kUnimplemented,    // valid input that Seek does not support (yet)
  kInternal,         // a bug: an invariant was broken
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: config.json: field 'n_head' = 5 does not divide n_embd = 64"
  std::string ToString() const;

  // Prefixes context ("while loading /x/model.safetensors: ") to the message.
  Status WithContext(const std::string& context) const;

  // The request or config field at fault ("temperature", "max_tokens"), named
  // by the code that refused it, so that a server can report it (OpenAI's
  // error `param`) without reading the message; "" when none is named.
  const std::string& field() const { return field_; }
  Status WithField(std::string field) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

template <typename... Args>
Status InvalidArgumentError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kInvalidArgument, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status NotFoundError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kNotFound, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status DataLossError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kDataLoss, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status IoError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kIoError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status InternalError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kInternal, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status UnimplementedError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kUnimplemented, fmt::format(f, std::forward<Args>(args)...));
}

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "StatusOr built from an OK Status");
  }
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T value_or(T alternative) const& { return ok() ? *value_ : std::move(alternative); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace seek

#define SEEK_CONCAT_INNER(a, b) a##b
#define SEEK_CONCAT(a, b) SEEK_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    ::seek::Status seek_status_ = (expr);     \
    if (!seek_status_.ok()) return seek_status_; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(SEEK_CONCAT(seek_statusor_, __LINE__), lhs, expr)
