// Tests for kernels/rope.h: the f32 table against angles computed in double,
// the table-driven kernels against the double Ref twins, and the geometry of a
// rotation (norms kept, backward undoes forward, position 0 is the identity,
// backward is the adjoint of forward).
#include "kernels/rope.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::MaxAbsDiff;
using testing::RandomVec;

struct Config {
  int64_t head_dim;
  double theta;
};
// Llama 2 (D 128, theta 1e4), Llama 3 theta, a small head, and a head_dim that
// is not a power of two (so 2i / D is not exact in f32).
const Config kConfigs[] = {{128, 1e4}, {128, 5e5}, {64, 5e5}, {96, 1e4}, {2, 1e4}};

std::vector<int32_t> RandomPositions(Rng& rng, int64_t n, int64_t max_pos) {
  std::vector<int32_t> pos(n);
  for (auto& p : pos) p = static_cast<int32_t>(rng.Below(max_pos));
  return pos;
}

TEST(Rope, TableMatchesDoubleAnglesWithinF32AngleRounding) {
  const int64_t kMaxPos = 4096;
  for (const Config& c : kConfigs) {
    const int64_t half = c.head_dim / 2;
    RopeTable t = MakeRopeTable(kMaxPos, c.head_dim, c.theta);
    ASSERT_EQ(t.max_pos, kMaxPos);
    ASSERT_EQ(t.half_dim, half);
    ASSERT_EQ(t.cos.size(), size_t(kMaxPos * half));
    ASSERT_EQ(t.sin.size(), size_t(kMaxPos * half));
    for (int64_t p = 0; p < kMaxPos; ++p) {
      for (int64_t i = 0; i < half; ++i) {
        const double angle = p / std::pow(c.theta, 2.0 * i / c.head_dim);
        const double err = std::max(std::fabs(t.cos[p * half + i] - std::cos(angle)),
                                    std::fabs(t.sin[p * half + i] - std::sin(angle)));
        // The table follows HF and rounds the angle p * inv_freq to f32, which
        // is off the exact angle by up to ~2^-23 of it (~3e-4 rad at p 4095).
        // Small positions are within 1e-5; column 0 (inv_freq = 1, angle = p
        // exactly) is only the final f32 rounding of cos/sin.
        const double tol = i == 0 ? 1e-7 : p < 32 ? 1e-5 : 1e-7 + 1e-6 * angle;
        ASSERT_LE(err, tol) << "D " << c.head_dim << " theta " << c.theta << " pos " << p << " i "
                            << i;
      }
    }
  }
}

TEST(Rope, ForwardAndBackwardMatchRefAtSmallPositions) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Config& c : kConfigs) {
    for (int64_t n_heads : {1, 3}) {
      const int64_t n_tokens = 37, stride = n_heads * c.head_dim;
      RopeTable t = MakeRopeTable(32, c.head_dim, c.theta);
      auto pos = RandomPositions(rng, n_tokens, 32);
      auto x = RandomVec(rng, n_tokens * stride);
      for (bool backward : {false, true}) {
        auto got = x, want = x;
        if (backward) {
          RopeBackward(got.data(), n_tokens, n_heads, c.head_dim, stride, pos.data(), t);
          RopeBackwardRef(want.data(), n_tokens, n_heads, c.head_dim, stride, pos.data(), c.theta);
        } else {
          RopeForward(got.data(), n_tokens, n_heads, c.head_dim, stride, pos.data(), t);
          RopeForwardRef(want.data(), n_tokens, n_heads, c.head_dim, stride, pos.data(), c.theta);
        }
        EXPECT_LT(testing::MaxRelDiff(got, want), 1e-5f)
            << "seed " << seed << " D " << c.head_dim << " heads " << n_heads << " backward "
            << backward;
      }
    }
  }
}

TEST(Rope, ForwardMatchesRefAtLargePositionsWithinAngleBound) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t kMaxPos = 8192, n_tokens = 200, n_heads = 4;
  for (const Config& c : kConfigs) {
    const int64_t stride = n_heads * c.head_dim;
    RopeTable t = MakeRopeTable(kMaxPos, c.head_dim, c.theta);
    auto pos = RandomPositions(rng, n_tokens, kMaxPos);
    auto x = RandomVec(rng, n_tokens * stride);
    auto got = x, want = x;
    RopeForward(got.data(), n_tokens, n_heads, c.head_dim, stride, pos.data(), t);
    RopeForwardRef(want.data(), n_tokens, n_heads, c.head_dim, stride, pos.data(), c.theta);
    // Each output moves by at most |pair| * (angle error), angle error as above.
    const int64_t half = c.head_dim / 2;
    for (int64_t tok = 0; tok < n_tokens; ++tok)
      for (int64_t h = 0; h < n_heads; ++h)
        for (int64_t i = 0; i < half; ++i) {
          const int64_t a = tok * stride + h * c.head_dim + i, b = a + half;
          const double r = std::hypot(x[a], x[b]);
          const double angle = pos[tok] / std::pow(c.theta, 2.0 * i / c.head_dim);
          const double tol = r * (3e-7 + 1e-6 * angle) + 1e-7;
          ASSERT_NEAR(got[a], want[a], tol) << "seed " << seed << " pos " << pos[tok] << " i " << i;
          ASSERT_NEAR(got[b], want[b], tol) << "seed " << seed << " pos " << pos[tok] << " i " << i;
        }
  }
}

TEST(Rope, RotationPreservesEachPairsNorm) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t n_tokens = 64, n_heads = 2, D = 128, stride = n_heads * D, half = D / 2;
  RopeTable t = MakeRopeTable(4096, D, 1e4);
  auto pos = RandomPositions(rng, n_tokens, 4096);
  auto x = RandomVec(rng, n_tokens * stride), y = x;
  RopeForward(y.data(), n_tokens, n_heads, D, stride, pos.data(), t);
  for (int64_t tok = 0; tok < n_tokens; ++tok)
    for (int64_t h = 0; h < n_heads; ++h)
      for (int64_t i = 0; i < half; ++i) {
        const int64_t a = tok * stride + h * D + i, b = a + half;
        const double before = std::hypot(x[a], x[b]), after = std::hypot(y[a], y[b]);
        ASSERT_NEAR(after, before, 5e-7 * (1 + before)) << "seed " << seed << " pos " << pos[tok];
      }
}

TEST(Rope, BackwardUndoesForward) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Config& c : kConfigs) {
    const int64_t n_tokens = 50, n_heads = 3, stride = n_heads * c.head_dim;
    RopeTable t = MakeRopeTable(4096, c.head_dim, c.theta);
    auto pos = RandomPositions(rng, n_tokens, 4096);
    auto x = RandomVec(rng, n_tokens * stride), y = x;
    RopeForward(y.data(), n_tokens, n_heads, c.head_dim, stride, pos.data(), t);
    RopeBackward(y.data(), n_tokens, n_heads, c.head_dim, stride, pos.data(), t);
    // A few f32 roundings of each pair, and cos^2 + sin^2 = 1 only to ~1 ulp.
    float max_abs = 0;
    for (float v : x) max_abs = std::max(max_abs, std::fabs(v));
    EXPECT_LT(MaxAbsDiff(y, x), 1e-6f * max_abs) << "seed " << seed << " D " << c.head_dim;
  }
}

TEST(Rope, PositionZeroIsTheIdentity) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t n_tokens = 9, n_heads = 4, D = 64, stride = n_heads * D;
  RopeTable t = MakeRopeTable(16, D, 1e4);
  std::vector<int32_t> pos(n_tokens, 0);
  auto x = RandomVec(rng, n_tokens * stride), y = x;
  RopeForward(y.data(), n_tokens, n_heads, D, stride, pos.data(), t);
  EXPECT_EQ(y, x) << "seed " << seed;
  RopeBackward(y.data(), n_tokens, n_heads, D, stride, pos.data(), t);
  EXPECT_EQ(y, x) << "seed " << seed;
}

TEST(Rope, BackwardIsTheAdjointOfForward) {
  // <R x, g> == <x, R^T g> for the rotation R: the gradient check for a linear map.
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t n_tokens = 33, n_heads = 2, D = 96, stride = n_heads * D;
  RopeTable t = MakeRopeTable(2048, D, 1e4);
  auto pos = RandomPositions(rng, n_tokens, 2048);
  auto x = RandomVec(rng, n_tokens * stride), g = RandomVec(rng, n_tokens * stride);
  auto rx = x, rtg = g;
  RopeForward(rx.data(), n_tokens, n_heads, D, stride, pos.data(), t);
  RopeBackward(rtg.data(), n_tokens, n_heads, D, stride, pos.data(), t);
  double lhs = 0, rhs = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    lhs += double(rx[i]) * g[i];
    rhs += double(x[i]) * rtg[i];
    scale += std::fabs(double(x[i]) * g[i]);
  }
  EXPECT_NEAR(lhs, rhs, 1e-6 * scale) << "seed " << seed;
}

TEST(Rope, StridedRowsInsideFusedQkvTouchOnlyTheirHeads) {
  // Rows of a fused [T, 3 * H * D] QKV buffer; rotate only the q block.
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t n_tokens = 21, n_heads = 3, D = 64, qdim = n_heads * D, stride = 3 * qdim;
  RopeTable t = MakeRopeTable(512, D, 1e4);
  auto pos = RandomPositions(rng, n_tokens, 512);
  auto qkv = RandomVec(rng, n_tokens * stride), fused = qkv;
  std::vector<float> dense(n_tokens * qdim);
  for (int64_t tok = 0; tok < n_tokens; ++tok)
    std::copy_n(qkv.begin() + tok * stride, qdim, dense.begin() + tok * qdim);
  RopeForward(fused.data(), n_tokens, n_heads, D, stride, pos.data(), t);
  RopeForward(dense.data(), n_tokens, n_heads, D, qdim, pos.data(), t);
  for (int64_t tok = 0; tok < n_tokens; ++tok)
    for (int64_t j = 0; j < stride; ++j) {
      const float want = j < qdim ? dense[tok * qdim + j] : qkv[tok * stride + j];
      ASSERT_EQ(fused[tok * stride + j], want)
          << "seed " << seed << " token " << tok << " col " << j;
    }
}

}  // namespace
}  // namespace seek
