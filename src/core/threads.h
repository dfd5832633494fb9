// core/threads.h — data-parallel loops over the process's OpenMP threads.
//
// Seek uses OpenMP (libgomp) because oneDNN on Debian runs on it too: one
// thread pool serves GEMMs and Seek's own kernels with no oversubscription.
// ParallelFor splits [0, n) into contiguous chunks, one per thread; the body
// must be safe to run concurrently on disjoint index ranges.
#pragma once

#include <omp.h>

#include <cstdint>

namespace seek {

inline int NumThreads() { return omp_get_max_threads(); }
inline void SetNumThreads(int n) {  // n <= 0 leaves the OpenMP default
  if (n > 0) omp_set_num_threads(n);
}

// fn(begin, end) is called on disjoint ranges covering [0, n). Runs serially
// when n < 2 * min_per_thread so tiny loops do not pay for a fork.
template <typename Fn>
void ParallelFor(int64_t n, int64_t min_per_thread, Fn&& fn) {
  if (n <= 0) return;
  int nt = NumThreads();
  if (nt <= 1 || n < 2 * min_per_thread || omp_in_parallel()) {
    fn(int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t chunk = (n + T - 1) / T;
    int64_t b = t * chunk, e = b + chunk < n ? b + chunk : n;
    if (b < e) fn(b, e);
  }
}

}  // namespace seek
