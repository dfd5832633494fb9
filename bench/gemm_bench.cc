// GEMM through oneDNN at the shapes of the benchmark model (N = 8 x 256 tokens,
// C = 384, V = 8192), forward and both backward forms, as GFLOP/s and as a
// fraction of the 1024^3 GEMM rate measured in the same run; in f32 (BM_Gemm)
// and in bf16 with f32 accumulation and output (BM_GemmBf16: every multiply
// of a bf16 training step, which bench/train_throughput.sh weighs into the
// step's GEMM rate).
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_util.h"
#include "kernels/lowp.h"

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

void BM_GemmBf16(benchmark::State& state) {
  const bool ta = state.range(0), tb = state.range(1);
  const int64_t m = state.range(2), n = state.range(3), k = state.range(4);
  std::vector<uint16_t> a(m * k, 0x3c23), b(k * n, 0x3ca3);  // bf16 0.01, 0.02
  std::vector<float> c(m * n);
  GemmShape s{ta, tb, m, n, k};
  for (auto _ : state) GemmLowp(Precision::kBf16, s, 1.f, a.data(), b.data(), 0.f, c.data());
  const double flops = 2.0 * m * n * k;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_GFLOP/s"] = MeasuredGemmGflops(Precision::kBf16);
}
// Per block (x 6): forward, then d input and d weight of each linear layer;
// then the LM head (forward, d input, d weight).
BENCHMARK(BM_GemmBf16)
    ->ArgNames({"ta", "tb", "M", "N", "K"})
    ->Args({0, 0, 1024, 1024, 1024})
    ->Args({0, 1, 2048, 1152, 384})   // qkv forward
    ->Args({0, 1, 2048, 384, 384})    // attention out forward
    ->Args({0, 1, 2048, 1536, 384})   // mlp up forward
    ->Args({0, 1, 2048, 384, 1536})   // mlp down forward
    ->Args({0, 0, 2048, 384, 1152})   // d input of qkv
    ->Args({1, 0, 1152, 384, 2048})   // d weight of qkv
    ->Args({0, 0, 2048, 384, 384})    // d input of attention out
    ->Args({1, 0, 384, 384, 2048})    // d weight of attention out
    ->Args({0, 0, 2048, 384, 1536})   // d input of mlp up
    ->Args({1, 0, 1536, 384, 2048})   // d weight of mlp up
    ->Args({0, 0, 2048, 1536, 384})   // d input of mlp down
    ->Args({1, 0, 384, 1536, 2048})   // d weight of mlp down
    ->Args({0, 1, 2048, 8192, 384})   // lm head forward
    ->Args({0, 0, 2048, 384, 8192})   // lm head d input
    ->Args({1, 0, 8192, 384, 2048})   // lm head d weight
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace seek
