// Shared helpers for kernel tests: fresh random inputs and error measures.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/random.h"

namespace seek::testing {

// A seed that differs on every run; printed by the assertion on failure.
inline uint64_t FreshSeed() { return std::random_device{}() * 0x9e3779b97f4a7c15ull + 1; }

inline std::vector<float> RandomVec(Rng& rng, size_t n, float scale = 1.f) {
  std::vector<float> v(n);
  for (auto& x : v) x = rng.Normal() * scale;
  return v;
}

inline float MaxAbsDiff(const float* a, const float* b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}
inline float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  return MaxAbsDiff(a.data(), b.data(), std::min(a.size(), b.size()));
}

// max |a-b| / max(|b|, floor): relative error that does not explode near zero.
inline float MaxRelDiff(const std::vector<float>& a, const std::vector<float>& b,
                        float floor = 1e-3f) {
  float scale = floor;
  for (float x : b) scale = std::max(scale, std::fabs(x));
  return MaxAbsDiff(a, b) / scale;
}

}  // namespace seek::testing
