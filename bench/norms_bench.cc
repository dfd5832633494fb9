// Microbenchmarks for kernels/norms.h: LayerNorm and RMSNorm forward and
// backward, fast kernels next to their Ref twins, at N = 2048 rows and a small
// (GPT-2 small-ish, C = 384) and a large (Llama 7B, C = 4096) width.
// Norms are memory bound, so the figure of merit is the "bw" counter: bytes the
// kernel must move (each [N, C] tensor read or written once, plus the [C]
// and [N] vectors) per second. Ref rows show how far the fast path gets.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "bench_util.h"
#include "core/random.h"
#include "kernels/norms.h"

namespace seek {
namespace {

std::vector<float> Random(Rng& rng, int64_t n) {
  std::vector<float> v(n);
  for (auto& x : v) x = rng.Normal();
  return v;
}

void SetBandwidth(benchmark::State& state, double bytes_per_iteration) {
  state.counters["GB/s"] = benchmark::Counter(bytes_per_iteration * state.iterations() / 1e9,
                                              benchmark::Counter::kIsRate);
  state.counters["copy_peak_GB/s"] = bench::CopyPeakGBps();
}

template <bool kRef>
void BM_LayerNormForward(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1);
  Rng rng(1);
  auto inp = Random(rng, N * C), w = Random(rng, C), b = Random(rng, C);
  std::vector<float> out(N * C), mean(N), rstd(N);
  for (auto _ : state) {
    if (kRef) {
      LayerNormForwardRef(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), N,
                          C, 1e-5f);
    } else {
      LayerNormForward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), N, C,
                       1e-5f);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // read inp, write out; read weight, bias; write mean, rstd.
  SetBandwidth(state, 4.0 * (2 * N * C + 2 * C + 2 * N));
}

template <bool kRef>
void BM_LayerNormBackward(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1);
  Rng rng(2);
  auto inp = Random(rng, N * C), w = Random(rng, C), b = Random(rng, C), dout = Random(rng, N * C);
  std::vector<float> out(N * C), mean(N), rstd(N);
  LayerNormForward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), N, C,
                   1e-5f);
  std::vector<float> dinp(N * C, 0.f), dw(C, 0.f), db(C, 0.f);
  for (auto _ : state) {
    if (kRef) {
      LayerNormBackwardRef(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(),
                           mean.data(), rstd.data(), N, C);
    } else {
      LayerNormBackward(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(),
                        mean.data(), rstd.data(), N, C);
    }
    benchmark::DoNotOptimize(dinp.data());
    benchmark::ClobberMemory();
  }
  // read dout, inp; read + write dinp; read weight, mean, rstd; read + write dweight, dbias.
  SetBandwidth(state, 4.0 * (4 * N * C + 5 * C + 2 * N));
}

template <bool kRef>
void BM_RmsNormForward(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1);
  Rng rng(3);
  auto inp = Random(rng, N * C), w = Random(rng, C);
  std::vector<float> out(N * C), rstd(N);
  for (auto _ : state) {
    if (kRef) {
      RmsNormForwardRef(out.data(), rstd.data(), inp.data(), w.data(), N, C, 1e-6f);
    } else {
      RmsNormForward(out.data(), rstd.data(), inp.data(), w.data(), N, C, 1e-6f);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // read inp, write out; read weight; write rstd.
  SetBandwidth(state, 4.0 * (2 * N * C + C + N));
}

template <bool kRef>
void BM_RmsNormBackward(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1);
  Rng rng(4);
  auto inp = Random(rng, N * C), w = Random(rng, C), dout = Random(rng, N * C);
  std::vector<float> out(N * C), rstd(N);
  RmsNormForward(out.data(), rstd.data(), inp.data(), w.data(), N, C, 1e-6f);
  std::vector<float> dinp(N * C, 0.f), dw(C, 0.f);
  for (auto _ : state) {
    if (kRef) {
      RmsNormBackwardRef(dinp.data(), dw.data(), dout.data(), inp.data(), w.data(), rstd.data(), N,
                         C);
    } else {
      RmsNormBackward(dinp.data(), dw.data(), dout.data(), inp.data(), w.data(), rstd.data(), N, C);
    }
    benchmark::DoNotOptimize(dinp.data());
    benchmark::ClobberMemory();
  }
  // read dout, inp; read + write dinp; read weight, rstd; read + write dweight.
  SetBandwidth(state, 4.0 * (4 * N * C + 3 * C + N));
}

void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "C"})->Args({2048, 384})->Args({2048, 4096})->UseRealTime();
}

BENCHMARK(BM_LayerNormForward<false>)->Apply(Shapes);
BENCHMARK(BM_LayerNormForward<true>)->Apply(Shapes);
BENCHMARK(BM_LayerNormBackward<false>)->Apply(Shapes);
BENCHMARK(BM_LayerNormBackward<true>)->Apply(Shapes);
BENCHMARK(BM_RmsNormForward<false>)->Apply(Shapes);
BENCHMARK(BM_RmsNormForward<true>)->Apply(Shapes);
BENCHMARK(BM_RmsNormBackward<false>)->Apply(Shapes);
BENCHMARK(BM_RmsNormBackward<true>)->Apply(Shapes);

}  // namespace
}  // namespace seek
