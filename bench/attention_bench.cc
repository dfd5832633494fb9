// Tiled causal attention, forward and forward+backward, at the benchmark
// model's shape (B = 8, H = 6, D = 64, T = 256) and at T = 1024 and 2048,
// each with one document per sequence and with 8 equal documents.
// GFLOP/s counts only the unmasked work: 4 * D flops per visible (query, key)
// pair in the forward (QK^T and PV), with L^2 / 2 pairs per document of
// length L; forward+backward counts 3.5x that (the backward recomputes QK^T
// and adds dP, dV, dK, dQ). Tile counters show what the masks let it skip;
// peak_GFLOP/s is oneDNN's f32 GEMM rate in the same run (bench_util.h).
// bf16 = 1: bf16 products (AttentionShape::bf16), beside the f32 ones.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_util.h"
#include "core/random.h"
#include "kernels/attention.h"

namespace seek {
namespace {

void BM_Attention(benchmark::State& state) {
  const int64_t T = state.range(0), n_docs = state.range(1);
  const bool backward = state.range(2) != 0;
  const int64_t B = 8, H = 6, D = 64;
  AttentionShape s;
  s.batch = B, s.n_q = s.n_kv = T, s.n_head = H, s.n_kv_head = H, s.head_dim = D;
  s.bf16 = state.range(3) != 0;
  Rng rng(1);
  auto random = [&](size_t n) {
    std::vector<float> x(n);
    for (float& e : x) e = rng.Normal();
    return x;
  };
  const size_t n = B * T * H * D;
  const std::vector<float> q = random(n), k = random(n), v = random(n), dout = random(n);
  std::vector<float> out(n), lse(B * H * T), dq(n), dk(n), dv(n);
  std::vector<int32_t> doc(B * T);
  const int64_t len = T / (n_docs > 0 ? n_docs : 1);
  for (int64_t i = 0; i < B * T; ++i) doc[i] = int32_t(i % T / len);
  const int32_t* d = n_docs > 0 ? doc.data() : nullptr;
  AttentionStats st;
  AttentionForward(s, out.data(), lse.data(), q.data(), k.data(), v.data(), d, &st);
  for (auto _ : state) {
    AttentionForward(s, out.data(), lse.data(), q.data(), k.data(), v.data(), d);
    if (backward) {
      AttentionBackward(s, dq.data(), dk.data(), dv.data(), dout.data(), out.data(), lse.data(),
                        q.data(), k.data(), v.data(), d);
    }
    benchmark::ClobberMemory();
  }
  const double pairs = double(T / len) * len * len / 2;  // per (batch, head)
  const double flops = 4.0 * D * pairs * H * B * (backward ? 3.5 : 1.0);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tiles_computed"] = double(st.tiles_computed);
  state.counters["tiles_skipped"] = double(st.tiles_skipped);
  state.counters["peak_GFLOP/s"] = bench::GemmPeakGflops();
}
// {T, documents (0: one per sequence), backward, bf16}
BENCHMARK(BM_Attention)
    ->ArgNames({"T", "docs", "bwd", "bf16"})
    ->ArgsProduct({{256}, {0, 8}, {0, 1}, {0, 1}})
    ->ArgsProduct({{1024, 2048}, {0, 8}, {0, 1}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace seek
