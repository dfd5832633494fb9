// core/profile.h — where a step's time goes, by named phase.
//
//   SEEK_PROFILE=1 seek train ...   (or model_step): prints a table at the end
//
// A PROFILE_SCOPE("gemm") at the top of a block adds its wall time to that
// name's total. Disabled (the default), a scope costs one predictable branch.
// Scopes should not nest (the totals would count the inner time twice): put
// them around leaf work — a GEMM, a norm, a conversion. Names are string
// literals. Called from one thread at a time (the trainer's or the engine's);
// the kernels' OpenMP threads run inside a scope.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace seek::profile {

bool Enabled();  // SEEK_PROFILE is set (to anything but "0" or "")
void Add(const char* name, double seconds);
// The totals as a table (name, seconds, share, calls), longest first; "" when disabled.
std::string Report();
void Reset();

class Scope {
 public:
  explicit Scope(const char* name) : name_(Enabled() ? name : nullptr) {
    if (name_) t0_ = std::chrono::steady_clock::now();
  }
  ~Scope() {
    if (name_) Add(name_, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count());
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  const char* name_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace seek::profile

#define SEEK_PROFILE_CAT2(a, b) a##b
#define SEEK_PROFILE_CAT(a, b) SEEK_PROFILE_CAT2(a, b)
#define PROFILE_SCOPE(name) ::seek::profile::Scope SEEK_PROFILE_CAT(profile_scope_, __LINE__)(name)
