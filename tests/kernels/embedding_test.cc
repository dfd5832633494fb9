// Tests for kernels/embedding.h: forward is an exact gather, backward an exact
// scatter-add (same order as the Ref, so bitwise equal), backward is the
// adjoint of forward, and the result does not depend on the thread count.
#include "kernels/embedding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/threads.h"
#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::RandomVec;

struct Shape {
  int64_t n, c, v, p;
};
// Few distinct ids among many tokens (heavy collisions), one token, one
// channel, odd widths, and a GPT-2-like width.
const Shape kShapes[] = {
    {1, 1, 1, 1}, {300, 67, 5, 7}, {1, 768, 50, 4}, {257, 1, 3, 300}, {1024, 768, 97, 1024}};

std::vector<int32_t> RandomIds(Rng& rng, int64_t n, int64_t below) {
  std::vector<int32_t> ids(n);
  for (auto& x : ids) x = static_cast<int32_t>(rng.Below(below));
  return ids;
}

TEST(Embedding, ForwardGathersRowsExactly) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Shape& s : kShapes) {
    auto wte = RandomVec(rng, s.v * s.c), wpe = RandomVec(rng, s.p * s.c);
    auto ids = RandomIds(rng, s.n, s.v), pos = RandomIds(rng, s.n, s.p);
    std::vector<float> out(s.n * s.c), out_pos(s.n * s.c);
    EmbeddingForward(out.data(), ids.data(), nullptr, wte.data(), nullptr, s.n, s.c, s.v, 0);
    EmbeddingForward(out_pos.data(), ids.data(), pos.data(), wte.data(), wpe.data(), s.n, s.c, s.v,
                     s.p);
    for (int64_t r = 0; r < s.n; ++r)
      for (int64_t c = 0; c < s.c; ++c) {
        ASSERT_EQ(out[r * s.c + c], wte[ids[r] * s.c + c]) << "seed " << seed;
        ASSERT_EQ(out_pos[r * s.c + c], wte[ids[r] * s.c + c] + wpe[pos[r] * s.c + c])
            << "seed " << seed;
      }
  }
}

TEST(Embedding, BackwardMatchesRefBitwiseAndAccumulates) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Shape& s : kShapes) {
    for (bool with_pos : {true, false}) {
      auto ids = RandomIds(rng, s.n, s.v), pos = RandomIds(rng, s.n, s.p);
      auto dout = RandomVec(rng, s.n * s.c);
      // += onto random values; both kernels start from the same buffers.
      auto dwte = RandomVec(rng, s.v * s.c), dwpe = RandomVec(rng, s.p * s.c);
      auto dwte_ref = dwte, dwpe_ref = dwpe;
      const auto dwpe_before = dwpe;
      EmbeddingBackward(dwte.data(), with_pos ? dwpe.data() : nullptr, dout.data(), ids.data(),
                        with_pos ? pos.data() : nullptr, s.n, s.c);
      EmbeddingBackwardRef(dwte_ref.data(), with_pos ? dwpe_ref.data() : nullptr, dout.data(),
                           ids.data(), with_pos ? pos.data() : nullptr, s.n, s.c);
      // Each element is summed over the same tokens in the same order.
      EXPECT_EQ(dwte, dwte_ref) << "seed " << seed << " N " << s.n << " C " << s.c;
      EXPECT_EQ(dwpe, dwpe_ref) << "seed " << seed << " N " << s.n << " C " << s.c;
      if (!with_pos) {
        EXPECT_EQ(dwpe, dwpe_before) << "null dwpe must not be written";
      }
    }
  }
}

TEST(Embedding, BackwardIsTheAdjointOfForward) {
  // Forward is linear in (wte, wpe), so <forward(wte, wpe), g> must equal
  // <wte, dwte> + <wpe, dwpe> with (dwte, dwpe) = backward(g) from zero.
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 211, C = 67, V = 13, P = 29;
  auto wte = RandomVec(rng, V * C), wpe = RandomVec(rng, P * C), g = RandomVec(rng, N * C);
  auto ids = RandomIds(rng, N, V), pos = RandomIds(rng, N, P);
  std::vector<float> out(N * C), dwte(V * C, 0.f), dwpe(P * C, 0.f);
  EmbeddingForward(out.data(), ids.data(), pos.data(), wte.data(), wpe.data(), N, C, V, P);
  EmbeddingBackward(dwte.data(), dwpe.data(), g.data(), ids.data(), pos.data(), N, C);
  double lhs = 0, rhs = 0, scale = 0;
  for (int64_t i = 0; i < N * C; ++i) {
    lhs += double(out[i]) * g[i];
    scale += std::fabs(double(out[i]) * g[i]);
  }
  for (int64_t i = 0; i < V * C; ++i) rhs += double(wte[i]) * dwte[i];
  for (int64_t i = 0; i < P * C; ++i) rhs += double(wpe[i]) * dwpe[i];
  EXPECT_NEAR(lhs, rhs, 1e-5 * scale) << "seed " << seed;
}

TEST(Embedding, BackwardIsBitwiseIndependentOfThreadCount) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 2048, C = 384, V = 101, P = 2048;
  auto ids = RandomIds(rng, N, V), pos = RandomIds(rng, N, P);
  auto dout = RandomVec(rng, N * C);
  auto run = [&](int threads, std::vector<float>* dwte, std::vector<float>* dwpe) {
    const int saved = NumThreads();
    SetNumThreads(threads);
    *dwte = std::vector<float>(V * C, 0.5f);
    *dwpe = std::vector<float>(P * C, -0.5f);
    EmbeddingBackward(dwte->data(), dwpe->data(), dout.data(), ids.data(), pos.data(), N, C);
    SetNumThreads(saved);
  };
  std::vector<float> dwte1, dwpe1, dwte2, dwpe2;
  run(1, &dwte1, &dwpe1);
  run(std::max(2, NumThreads()), &dwte2, &dwpe2);
  EXPECT_EQ(dwte1, dwte2) << "seed " << seed;
  EXPECT_EQ(dwpe1, dwpe2) << "seed " << seed;
}

}  // namespace
}  // namespace seek
