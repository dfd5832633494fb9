// kernels/embedding.cc — token/position embedding gather (forward) and scatter-add (backward).
//
// Backward is a scatter-add where many tokens may hit the same row of dwte.
// Instead of atomics, threads split the channel dimension into cache-line
// blocks: each thread owns columns [c0, c1) of every dwte/dwpe row and walks
// all N tokens in order, so each element is summed in token order by exactly
// one thread — bitwise deterministic for every thread count.
#include "kernels/embedding.h"

#include <algorithm>

#include "core/check.h"
#include "core/threads.h"

namespace seek {
namespace {

constexpr int64_t kColBlock = 16;  // one 64-byte cache line of floats

}  // namespace

void EmbeddingForward(float* out, const int32_t* ids, const int32_t* pos, const float* wte,
                      const float* wpe, int64_t N, int64_t C, int64_t V, int64_t P) {
  CHECK(wpe == nullptr || pos != nullptr);
  ParallelFor(N, std::max<int64_t>(1, 8192 / std::max<int64_t>(C, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t id = ids[r];
      CHECK_MSG(id >= 0 && id < V, "embedding id out of range");
      const float* te = wte + id * C;
      float* y = out + r * C;
      if (wpe) {
        const int64_t p = pos[r];
        CHECK_MSG(p >= 0 && p < P, "embedding position out of range");
        const float* pe = wpe + p * C;
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) y[c] = te[c] + pe[c];
      } else {
        std::copy(te, te + C, y);
      }
    }
  });
}

void EmbeddingBackward(float* dwte, float* dwpe, const float* dout, const int32_t* ids,
                       const int32_t* pos, int64_t N, int64_t C) {
  CHECK(dwpe == nullptr || pos != nullptr);
  // V and P are not passed, so only the lower bound can be checked here; the
  // forward pass has already checked the same ids against V and P.
  for (int64_t r = 0; r < N; ++r) {
    CHECK(ids[r] >= 0);
    if (dwpe) CHECK(pos[r] >= 0);
  }
  const int64_t n_blocks = (C + kColBlock - 1) / kColBlock;
  // Each block of columns costs ~N * 16 adds; fork only when that is worth it.
  const int64_t min_blocks = std::max<int64_t>(1, 4096 / std::max<int64_t>(N * kColBlock, 1));
  ParallelFor(n_blocks, min_blocks, [&](int64_t b0, int64_t b1) {
    const int64_t c0 = b0 * kColBlock, c1 = std::min(C, b1 * kColBlock);
    for (int64_t r = 0; r < N; ++r) {
      const float* g = dout + r * C;
      float* te = dwte + static_cast<int64_t>(ids[r]) * C;
#pragma omp simd
      for (int64_t c = c0; c < c1; ++c) te[c] += g[c];
      if (dwpe) {
        float* pe = dwpe + static_cast<int64_t>(pos[r]) * C;
#pragma omp simd
        for (int64_t c = c0; c < c1; ++c) pe[c] += g[c];
      }
    }
  });
}

void EmbeddingBackwardRef(float* dwte, float* dwpe, const float* dout, const int32_t* ids,
                          const int32_t* pos, int64_t N, int64_t C) {
  for (int64_t r = 0; r < N; ++r)
    for (int64_t c = 0; c < C; ++c) {
      dwte[ids[r] * C + c] += dout[r * C + c];
      if (dwpe) dwpe[pos[r] * C + c] += dout[r * C + c];
    }
}

}  // namespace seek
