// Tests for kernels/cross_entropy.h: the fused kernel against its double Ref,
// its gradient against finite differences of its own loss, and analytic facts
// (uniform logits give log V, ignored rows give nothing, gradient rows sum to
// zero), in-place use and numerical stability for huge logits.
#include "kernels/cross_entropy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::MaxAbsDiff;
using testing::MaxRelDiff;
using testing::RandomVec;

struct Shape {
  int64_t n, v;
};
// V = 1 (loss always 0), odd vocabularies, GPT-2's vocabulary, enough rows to thread.
const Shape kShapes[] = {{1, 1}, {1, 1001}, {7, 1001}, {3, 50257}, {129, 67}};

// Random targets with about one row in five ignored.
std::vector<int32_t> RandomTargets(Rng& rng, int64_t n, int64_t v) {
  std::vector<int32_t> t(n);
  for (auto& x : t) x = rng.Below(5) == 0 ? kIgnoreTarget : static_cast<int32_t>(rng.Below(v));
  return t;
}

// Elementwise |got - want| <= rtol |want| + atol.
void ExpectAllClose(const std::vector<float>& got, const std::vector<float>& want, float rtol,
                    float atol, const ::testing::Message& where) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], rtol * std::fabs(want[i]) + atol) << where << " at " << i;
  }
}

TEST(CrossEntropy, MatchesRef) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Shape& s : kShapes) {
    for (float logit_scale : {1.f, 8.f}) {
      auto logits = RandomVec(rng, s.n * s.v, logit_scale);
      auto targets = RandomTargets(rng, s.n, s.v);
      const float grad_scale = 1.f / static_cast<float>(s.n);
      // dlogits is overwritten (=): start the two from different garbage.
      auto d = RandomVec(rng, s.n * s.v), d_ref = RandomVec(rng, s.n * s.v);
      std::vector<float> losses(s.n), losses_ref(s.n), losses_fwd(s.n);
      const double sum = CrossEntropyForwardBackward(d.data(), losses.data(), logits.data(),
                                                     targets.data(), s.n, s.v, grad_scale);
      const double sum_ref = CrossEntropyForwardBackwardRef(
          d_ref.data(), losses_ref.data(), logits.data(), targets.data(), s.n, s.v, grad_scale);
      const double sum_fwd =
          CrossEntropyForward(losses_fwd.data(), logits.data(), targets.data(), s.n, s.v);
      const auto where = ::testing::Message() << "seed " << seed << " N " << s.n << " V " << s.v
                                              << " logit scale " << logit_scale;
      ExpectAllClose(losses, losses_ref, 1e-5f, 1e-6f, where);
      EXPECT_EQ(losses_fwd, losses) << where;
      EXPECT_NEAR(sum, sum_ref, 1e-5 * (1 + std::fabs(sum_ref))) << where;
      EXPECT_EQ(sum_fwd, sum) << where;
      // Probabilities carry relative error; the -1 at the target absolute error.
      ExpectAllClose(d, d_ref, 1e-5f, 1e-6f * grad_scale, where);
    }
  }
}

TEST(CrossEntropy, UniformLogitsGiveLogV) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (int64_t V : {2, 67, 1001, 50257}) {
    const int64_t N = 4;
    const float c = rng.Normal() * 10.f;  // any constant: softmax is shift invariant
    std::vector<float> logits(N * V, c), losses(N), d(N * V);
    std::vector<int32_t> targets = {0, static_cast<int32_t>(V - 1), static_cast<int32_t>(V / 2),
                                    static_cast<int32_t>(rng.Below(V))};
    const float grad_scale = 0.5f + rng.Uniform();
    const double sum = CrossEntropyForwardBackward(d.data(), losses.data(), logits.data(),
                                                   targets.data(), N, V, grad_scale);
    const double log_v = std::log(static_cast<double>(V));
    EXPECT_NEAR(sum, N * log_v, 1e-5 * N * log_v) << "seed " << seed << " V " << V;
    for (int64_t r = 0; r < N; ++r) {
      EXPECT_NEAR(losses[r], log_v, 1e-6 * log_v) << "seed " << seed << " V " << V;
      for (int64_t i = 0; i < V; ++i) {
        const double want = (1.0 / V - (i == targets[r] ? 1.0 : 0.0)) * grad_scale;
        ASSERT_NEAR(d[r * V + i], want, 1e-6 * grad_scale) << "seed " << seed << " V " << V;
      }
    }
  }
}

TEST(CrossEntropy, IgnoredTargetsGiveZeroLossAndZeroGradientRows) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 6, V = 1001;
  auto logits = RandomVec(rng, N * V, 3.f);
  std::vector<int32_t> targets = {kIgnoreTarget, 5, kIgnoreTarget, kIgnoreTarget, 1000, 0};
  auto d = RandomVec(rng, N * V);  // garbage that must be overwritten with zeros
  auto losses = RandomVec(rng, N);
  const double sum = CrossEntropyForwardBackward(d.data(), losses.data(), logits.data(),
                                                 targets.data(), N, V, 1.f / 3);
  double kept = 0;
  for (int64_t r = 0; r < N; ++r) {
    if (targets[r] != kIgnoreTarget) {
      EXPECT_GT(losses[r], 0.f);
      kept += losses[r];
      continue;
    }
    EXPECT_EQ(losses[r], 0.f) << "seed " << seed << " row " << r;
    for (int64_t i = 0; i < V; ++i) ASSERT_EQ(d[r * V + i], 0.f) << "seed " << seed << " row " << r;
  }
  EXPECT_NEAR(sum, kept, 1e-6 * kept) << "seed " << seed;
  // All rows ignored: nothing at all.
  std::vector<int32_t> none(N, kIgnoreTarget);
  EXPECT_EQ(CrossEntropyForward(losses.data(), logits.data(), none.data(), N, V), 0.0);
}

TEST(CrossEntropy, GradientMatchesFiniteDifferencesAndRowsSumToZero) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 5, V = 1001;
  auto logits = RandomVec(rng, N * V, 2.f);
  auto targets = RandomTargets(rng, N, V);
  targets[0] = static_cast<int32_t>(rng.Below(V));  // at least one counted row
  const float grad_scale = 0.25f;
  std::vector<float> d(N * V), losses(N);
  CrossEntropyForwardBackward(d.data(), losses.data(), logits.data(), targets.data(), N, V,
                              grad_scale);
  // d = grad_scale * d(sum of losses)/d(logits); check along a random direction.
  auto dir = RandomVec(rng, N * V);
  std::vector<float> lp = logits, lm = logits;
  double analytic = 0, norm_d = 0, norm_delta = 0;
  for (int64_t i = 0; i < N * V; ++i) {
    lp[i] += 1e-3f * dir[i];
    lm[i] -= 1e-3f * dir[i];
    const double delta = double(lp[i]) - lm[i];
    analytic += d[i] * delta;
    norm_d += double(d[i]) * d[i];
    norm_delta += delta * delta;
  }
  const double fd =
      grad_scale * (CrossEntropyForward(losses.data(), lp.data(), targets.data(), N, V) -
                    CrossEntropyForward(losses.data(), lm.data(), targets.data(), N, V));
  EXPECT_NEAR(fd, analytic, 1e-4 * std::sqrt(norm_d * norm_delta))
      << "seed " << seed << " fd " << fd << " analytic " << analytic;
  // softmax sums to 1 and the one-hot to 1, so every row of the gradient sums to 0.
  for (int64_t r = 0; r < N; ++r) {
    double s = 0;
    for (int64_t i = 0; i < V; ++i) s += d[r * V + i];
    EXPECT_NEAR(s, 0.0, 1e-6 * grad_scale) << "seed " << seed << " row " << r;
  }
}

TEST(CrossEntropy, InPlaceMatchesOutOfPlace) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 65, V = 1001;
  auto logits = RandomVec(rng, N * V, 4.f);
  auto targets = RandomTargets(rng, N, V);
  std::vector<float> d(N * V), losses(N), losses_inplace(N);
  const double sum = CrossEntropyForwardBackward(d.data(), losses.data(), logits.data(),
                                                 targets.data(), N, V, 0.125f);
  auto inplace = logits;
  const double sum_inplace = CrossEntropyForwardBackward(
      inplace.data(), losses_inplace.data(), inplace.data(), targets.data(), N, V, 0.125f);
  EXPECT_EQ(inplace, d) << "seed " << seed;
  EXPECT_EQ(losses_inplace, losses) << "seed " << seed;
  EXPECT_EQ(sum_inplace, sum) << "seed " << seed;
  // The Ref twin supports aliasing too.
  auto ref_inplace = logits;
  std::vector<float> d_ref(N * V);
  CrossEntropyForwardBackwardRef(d_ref.data(), losses.data(), logits.data(), targets.data(), N, V,
                                 0.125f);
  CrossEntropyForwardBackwardRef(ref_inplace.data(), losses.data(), ref_inplace.data(),
                                 targets.data(), N, V, 0.125f);
  EXPECT_EQ(ref_inplace, d_ref) << "seed " << seed;
}

TEST(CrossEntropy, HugeLogitsStayFiniteAndMatchRef) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 8, V = 3001;
  auto logits = RandomVec(rng, N * V, 1e4f);  // exp would overflow without the max shift
  auto targets = RandomTargets(rng, N, V);
  std::vector<float> d(N * V), losses(N), d_ref(N * V), losses_ref(N);
  CrossEntropyForwardBackward(d.data(), losses.data(), logits.data(), targets.data(), N, V, 1.f);
  CrossEntropyForwardBackwardRef(d_ref.data(), losses_ref.data(), logits.data(), targets.data(), N,
                                 V, 1.f);
  for (float x : d) ASSERT_TRUE(std::isfinite(x)) << "seed " << seed;
  for (float x : losses) ASSERT_TRUE(std::isfinite(x)) << "seed " << seed;
  EXPECT_LT(MaxRelDiff(losses, losses_ref), 1e-6f) << "seed " << seed;
  EXPECT_LT(MaxAbsDiff(d, d_ref), 1e-6f) << "seed " << seed;
}

}  // namespace
}  // namespace seek
