// GEMM through oneDNN at the shapes of the benchmark model (N = 8 x 256 tokens,
// C = 384, V = 8192), forward and both backward forms, as GFLOP/s and as a
// fraction of the 1024^3 GEMM rate measured in the same run; in f32 (BM_Gemm)
// and in bf16 with f32 accumulation and output (BM_GemmBf16: every multiply
// of a bf16 training step, which bench/train_throughput.sh weighs into the
// step's GEMM rate).
#include <benchmark/benchmark.h>

#include <type_traits>
#include <vector>

#include "bench_util.h"
#include "kernels/lowp.h"

namespace seek {
namespace {

// Every multiply of a training step: per block (x 6), forward, then d input
// and d weight of each linear layer; then the LM head (forward, d input, d
// weight). {trans_a, trans_b, M, N, K}; first the 1024^3 square.
void StepShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"ta", "tb", "M", "N", "K"})
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
}

// Element type T: float (f32 GEMM) or uint16_t (bf16 operands).
template <typename T>
void RunGemm(benchmark::State& state) {
  constexpr bool bf16 = std::is_same_v<T, uint16_t>;
  const bool ta = state.range(0), tb = state.range(1);
  const int64_t m = state.range(2), n = state.range(3), k = state.range(4);
  // 0.01 and 0.02 (bf16 0x3c23 and 0x3ca3)
  std::vector<T> a(m * k, bf16 ? T(0x3c23) : T(0.01f)), b(k * n, bf16 ? T(0x3ca3) : T(0.02f));
  std::vector<float> c(m * n);
  GemmShape s{ta, tb, m, n, k};
  for (auto _ : state) {
    if constexpr (bf16)
      GemmLowp(Precision::kBf16, s, 1.f, a.data(), b.data(), 0.f, c.data());
    else
      Gemm(s, 1.f, a.data(), b.data(), 0.f, c.data());
  }
  const double flops = 2.0 * m * n * k;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_GFLOP/s"] = MeasuredGemmGflops(bf16 ? Precision::kBf16 : Precision::kF32);
}

void BM_Gemm(benchmark::State& state) { RunGemm<float>(state); }
void BM_GemmBf16(benchmark::State& state) { RunGemm<uint16_t>(state); }
BENCHMARK(BM_Gemm)->Apply(StepShapes);
BENCHMARK(BM_GemmBf16)->Apply(StepShapes);

}  // namespace
}  // namespace seek
