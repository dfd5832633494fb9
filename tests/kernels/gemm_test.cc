#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::RandomVec;

struct Case {
  bool ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  bool bias;
};

TEST(Gemm, MatchesReferenceOnAllTransposesBetaAndBias) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const Case cases[] = {
      {false, false, 17, 33, 9, 1.f, 0.f, false}, {true, false, 64, 48, 31, 1.f, 1.f, false},
      {false, true, 5, 70, 128, 0.5f, 0.f, false}, {true, true, 40, 3, 65, 2.f, 0.25f, false},
      {false, true, 31, 97, 64, 1.f, 0.f, true},   {false, false, 1, 1, 1, 1.f, 1.f, true},
  };
  for (const Case& c : cases) {
    GemmShape s{c.ta, c.tb, c.m, c.n, c.k};
    auto a = RandomVec(rng, c.m * c.k), b = RandomVec(rng, c.k * c.n), bias = RandomVec(rng, c.n);
    auto c0 = RandomVec(rng, c.m * c.n);
    auto got = c0, want = c0;
    Gemm(s, c.alpha, a.data(), b.data(), c.beta, got.data(), c.bias ? bias.data() : nullptr);
    GemmRef(s, c.alpha, a.data(), b.data(), c.beta, want.data(), c.bias ? bias.data() : nullptr);
    EXPECT_LT(testing::MaxAbsDiff(got, want), 1e-4f * std::sqrt(float(c.k)) * 2)
        << "seed " << seed << " m" << c.m << " n" << c.n << " k" << c.k << " ta" << c.ta << " tb"
        << c.tb;
  }
}

TEST(Gemm, StridedLeadingDimensionsAndZeroBetaIgnoresNaN) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  // A is a [8, 12] window of a [8, 20] buffer; C a [8, 6] window of [8, 10].
  GemmShape s{false, false, 8, 6, 12, 20, 6, 10};
  auto a = RandomVec(rng, 8 * 20), b = RandomVec(rng, 12 * 6);
  std::vector<float> got(80, NAN), want(80, NAN);
  Gemm(s, 1.f, a.data(), b.data(), 0.f, got.data());
  GemmRef(s, 1.f, a.data(), b.data(), 0.f, want.data());
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 10; ++j) {
      if (j < 6) {
        EXPECT_NEAR(got[i * 10 + j], want[i * 10 + j], 1e-4) << "seed " << seed;
      } else {
        EXPECT_TRUE(std::isnan(got[i * 10 + j])) << "wrote outside C's window";
      }
    }
}

TEST(Gemm, PrimitivesAreCachedPerShape) {
  Rng rng(FreshSeed());
  GemmShape s{false, false, 13, 11, 7};
  auto a = RandomVec(rng, 14 * 7), b = RandomVec(rng, 7 * 11);  // room for the m = 14 call
  std::vector<float> c(14 * 11);
  Gemm(s, 1.f, a.data(), b.data(), 0.f, c.data());
  int64_t before = GemmPrimitiveCount();
  for (int i = 0; i < 5; ++i) Gemm(s, 1.f, a.data(), b.data(), 0.f, c.data());
  EXPECT_EQ(GemmPrimitiveCount(), before);
  Gemm(GemmShape{false, false, 14, 11, 7}, 1.f, a.data(), b.data(), 0.f, c.data());
  EXPECT_EQ(GemmPrimitiveCount(), before + 1);
}

}  // namespace
}  // namespace seek
