// cpu_peak — the arithmetic peak of this CPU over all OpenMP threads: f32
// FMAs (VFMADD231PS on 16 lanes, 32 FLOP each) and, where the CPU has
// AVX512-BF16, bf16 dot products (VDPBF16PS, 64 FLOP each), with 12
// independent accumulators per thread so that only throughput, not latency,
// bounds them. No memory traffic: nothing a real kernel can beat.
// bench/train_throughput.sh compares its ratio targets with these rates.
//   cpu_peak [seconds per try, default 0.5]   (the best of 3 tries of each)
// Prints: RESULT f32_fma_gflops=X bf16_dot_gflops=Y (Y = 0 without AVX512-BF16).
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if defined(__AVX512BF16__)
#include <immintrin.h>
#endif

namespace {

typedef float V16 __attribute__((vector_size(64)));
constexpr int kAcc = 12;

// FLOPs this thread did in about `seconds`. `seed` is opaque to the compiler,
// and the sums are returned, so nothing is folded away.
template <class Step>
double Run(double seconds, float seed, Step step, double flop_per_step, float* sink) {
  V16 acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = V16{} + seed * static_cast<float>(i);
  V16 a = V16{} + seed, b = V16{} + 1.0f;
  int64_t steps = 0;
  const double t0 = omp_get_wtime();
  while (omp_get_wtime() - t0 < seconds) {
    for (int r = 0; r < 1000; ++r) {
#pragma GCC unroll 12
      for (int i = 0; i < kAcc; ++i) acc[i] = step(acc[i], a, b);
      asm volatile("" : "+v"(a), "+v"(b));
    }
    steps += 1000 * kAcc;
  }
  const double dt = omp_get_wtime() - t0;
  float s = 0;
  for (int i = 0; i < kAcc; ++i)
    for (int l = 0; l < 16; ++l) s += acc[i][l];
  *sink += s;
  return steps * flop_per_step / dt;
}

double Peak(double seconds, bool bf16, float* sink) {
  double total = 0;
#pragma omp parallel reduction(+ : total)
  {
    float local = 0;
    const float seed = 1e-9f * static_cast<float>(omp_get_thread_num() + 1);
    if (!bf16) {
      total += Run(seconds, seed, [](V16 c, V16 a, V16 b) { return c + a * b; }, 32, &local);
    } else {
#if defined(__AVX512BF16__)
      auto dot = [](V16 c, V16 a, V16 b) {
        return (V16)_mm512_dpbf16_ps((__m512)c, (__m512bh)a, (__m512bh)b);
      };
      total += Run(seconds, seed, dot, 64, &local);
#endif
    }
#pragma omp atomic
    *sink += local;
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
  if (!(seconds > 0)) {
    std::fprintf(stderr, "usage: cpu_peak [seconds > 0]\n");
    return 2;
  }
  // The best of three: a neighbour on a shared machine only ever slows a try.
  float sink = 0;
  double f32 = 0, bf16 = 0;
  for (int t = 0; t < 3; ++t) {
    f32 = std::max(f32, Peak(seconds, false, &sink) / 1e9);
    bf16 = std::max(bf16, Peak(seconds, true, &sink) / 1e9);
  }
  std::printf("RESULT f32_fma_gflops=%.1f bf16_dot_gflops=%.1f threads=%d%s\n", f32, bf16,
              omp_get_max_threads(), sink == 12345.0f ? " " : "");
  return 0;
}
