// core/check.h — CHECK for invariants that no input can break.
//
// A failed CHECK is a bug in Seek: it prints the condition and location and
// aborts. Anything a user, a file or a peer can cause returns Status instead.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace seek::internal {
[[noreturn]] inline void CheckFailed(const char* cond, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "CHECK failed at %s:%d: %s %s\n", file, line, cond, msg ? msg : "");
  std::abort();
}
}  // namespace seek::internal

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) ::seek::internal::CheckFailed(#cond, __FILE__, __LINE__, nullptr);   \
  } while (0)
#define CHECK_MSG(cond, msg)                                                          \
  do {                                                                                \
    if (!(cond)) ::seek::internal::CheckFailed(#cond, __FILE__, __LINE__, (msg));     \
  } while (0)
#define CHECK_OK(expr)                                                                \
  do {                                                                                \
    ::seek::Status seek_check_status_ = (expr);                                       \
    if (!seek_check_status_.ok())                                                     \
      ::seek::internal::CheckFailed(#expr, __FILE__, __LINE__,                        \
                                    seek_check_status_.ToString().c_str());           \
  } while (0)
