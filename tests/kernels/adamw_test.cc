#include "kernels/adamw.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::RandomVec;

TEST(AdamW, MatchesRefOverSeveralSteps) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t n = 100003;
  auto p1 = RandomVec(rng, n), p2 = p1;
  std::vector<float> m1(n), v1(n), m2(n), v2(n);
  for (int step = 1; step <= 5; ++step) {
    auto g = RandomVec(rng, n, 0.1f);
    AdamWParams hp{1e-3 * step, 0.9, 0.95, 1e-8, 0.1, step};
    AdamWUpdate(p1.data(), g.data(), m1.data(), v1.data(), n, hp);
    AdamWUpdateRef(p2.data(), g.data(), m2.data(), v2.data(), n, hp);
  }
  EXPECT_LT(testing::MaxAbsDiff(p1, p2), 1e-6f) << "seed " << seed;
  EXPECT_LT(testing::MaxAbsDiff(m1, m2), 1e-7f) << "seed " << seed;
  EXPECT_LT(testing::MaxAbsDiff(v1, v2), 1e-8f) << "seed " << seed;
}

// grad_scale (the clip factor applied inside the update) gives bit for bit
// what scaling the gradients first did, in the fast kernel and the twin.
TEST(AdamW, GradScaleIsScalingTheGradientsFirst) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t n = 50001;
  const auto p0 = RandomVec(rng, n), g = RandomVec(rng, n, 0.3f), m0 = RandomVec(rng, n, 0.01f);
  std::vector<float> v0(n);
  for (int64_t i = 0; i < n; ++i) v0[i] = std::fabs(m0[i]) * 0.1f;
  const float scale = 0.37f * rng.Uniform() + 0.01f;
  std::vector<float> scaled = g;
  Scale(scaled.data(), n, scale);
  for (bool ref : {false, true}) {
    auto pa = p0, pb = p0, ma = m0, mb = m0, va = v0, vb = v0;
    AdamWParams hp{1e-3, 0.9, 0.95, 1e-8, 0.1, 3};
    AdamWParams fused = hp;
    fused.grad_scale = scale;
    auto update = ref ? AdamWUpdateRef : AdamWUpdate;
    update(pa.data(), scaled.data(), ma.data(), va.data(), n, hp);
    update(pb.data(), g.data(), mb.data(), vb.data(), n, fused);
    EXPECT_EQ(pa, pb) << "ref " << ref << " seed " << seed;
    EXPECT_EQ(ma, mb);
    EXPECT_EQ(va, vb);
  }
}

// Step 1 from zero moments: m/(sqrt(v)) after bias correction is sign(g), so
// every weight moves by lr (plus decay), whatever the gradient's size.
TEST(AdamW, FirstStepMovesEachWeightByLr) {
  Rng rng(FreshSeed());
  const int64_t n = 1000;
  auto p = RandomVec(rng, n), g = RandomVec(rng, n);
  auto p0 = p;
  std::vector<float> m(n), v(n);
  AdamWParams hp{0.01, 0.9, 0.999, 1e-12, 0.5, 1};
  AdamWUpdate(p.data(), g.data(), m.data(), v.data(), n, hp);
  for (int64_t i = 0; i < n; ++i) {
    float expected = p0[i] * (1 - 0.01f * 0.5f) - 0.01f * (g[i] > 0 ? 1.f : -1.f);
    ASSERT_NEAR(p[i], expected, 1e-5f) << i;
  }
}

TEST(AdamW, SumOfSquaresAndScale) {
  Rng rng(FreshSeed());
  auto x = RandomVec(rng, 70001);
  double want = 0;
  for (float f : x) want += double(f) * f;
  EXPECT_NEAR(SumOfSquares(x.data(), x.size()), want, 1e-9 * want);
  auto y = x;
  Scale(y.data(), y.size(), 0.25f);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], x[i] * 0.25f);
}

}  // namespace
}  // namespace seek
