// bench/bench_util.h — the roofline every benchmark prints itself against.
//
// GemmPeakGflops() measures oneDNN's f32 GEMM on this machine once per process
// (a 1024x1024x1024 multiply, best of several runs), so each kernel's GFLOP/s
// is shown as a fraction of what the same machine's GEMM reaches in the same run.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "kernels/gemm.h"

namespace seek::bench {

inline double GemmPeakGflops() {
  static const double peak = [] {
    const int64_t n = 1024;
    std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
    GemmShape s{false, false, n, n, n};
    Gemm(s, 1.f, a.data(), b.data(), 0.f, c.data());  // warm up, create the primitive
    double best = 1e30;
    for (int r = 0; r < 8; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      Gemm(s, 1.f, a.data(), b.data(), 0.f, c.data());
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return 2.0 * n * n * n / best / 1e9;
  }();
  return peak;
}

}  // namespace seek::bench
