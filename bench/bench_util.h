// bench/bench_util.h — the rooflines every benchmark prints itself against,
// measured on this machine in the same run:
//   GemmPeakGflops()  oneDNN's f32 GEMM rate (compute-bound kernels)
//   CopyPeakGBps()    a threaded memcpy of 256 MiB (memory-bound kernels; bytes read + written)
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "core/threads.h"
#include "kernels/gemm.h"

namespace seek::bench {

inline double GemmPeakGflops() { return MeasuredGemmGflops(); }

inline double CopyPeakGBps() {
  static const double gbps = [] {
    const int64_t n = int64_t{64} << 20;  // floats: 256 MiB
    std::vector<float> a(n, 1.f), b(n);
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      ParallelFor(n, 1 << 20, [&](int64_t lo, int64_t hi) {
        std::memcpy(b.data() + lo, a.data() + lo, (hi - lo) * sizeof(float));
      });
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return 2.0 * n * sizeof(float) / best / 1e9;
  }();
  return gbps;
}

}  // namespace seek::bench
