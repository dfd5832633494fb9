// GEMM through oneDNN at the shapes of the benchmark model (N = 8 x 256 tokens,
// C = 384, V = 8192), forward and both backward forms, as GFLOP/s and as a
// fraction of the 1024^3 GEMM rate measured in the same run.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_util.h"

namespace seek {
namespace {

void BM_Gemm(benchmark::State& state) {
  const bool ta = state.range(0), tb = state.range(1);
  const int64_t m = state.range(2), n = state.range(3), k = state.range(4);
  std::vector<float> a(m * k, 0.01f), b(k * n, 0.02f), c(m * n);
  GemmShape s{ta, tb, m, n, k};
  for (auto _ : state) Gemm(s, 1.f, a.data(), b.data(), 0.f, c.data());
  const double flops = 2.0 * m * n * k;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_GFLOP/s"] = bench::GemmPeakGflops();
}
// {trans_a, trans_b, M, N, K}
BENCHMARK(BM_Gemm)
    ->ArgNames({"ta", "tb", "M", "N", "K"})
    ->Args({0, 0, 1024, 1024, 1024})
    ->Args({0, 1, 2048, 1152, 384})   // qkv forward
    ->Args({0, 1, 2048, 1536, 384})   // mlp up forward
    ->Args({0, 1, 2048, 384, 1536})   // mlp down forward
    ->Args({0, 0, 2048, 384, 1536})   // d input of mlp up
    ->Args({1, 0, 1536, 384, 2048})   // d weight of mlp up
    ->Args({0, 1, 2048, 8192, 384})   // lm head forward
    ->Args({1, 0, 8192, 384, 2048})   // lm head d weight
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace seek
