#include "kernels/lowp.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "kernels/activations.h"
#include "kernels/gemm.h"
#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::RandomVec;

// Random floats over the whole range that matters (tiny, subnormal-half,
// around 65504, huge), with ties, specials and raw random bit patterns.
std::vector<float> Awkward(Rng& rng, size_t n) {
  std::vector<float> v = RandomVec(rng, n);
  const float specials[] = {0.f, -0.f, 1.f, 65504.f, 65519.f, 65520.f, 70000.f, 6.1e-5f, 5.96e-8f, 2.9e-8f,
                            1e-10f, 3.4e38f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), std::nanf(""), -std::nanf("")};
  for (size_t i = 0; i < n; ++i) {
    switch (i % 5) {
      case 0: v[i] = specials[(i / 5) % std::size(specials)]; break;
      case 1: v[i] *= std::ldexp(1.f, static_cast<int>(rng.Uniform() * 60) - 40); break;
      case 2: v[i] = std::bit_cast<float>(static_cast<uint32_t>(rng.NextU64())); break;
      case 3: v[i] = std::bit_cast<float>((std::bit_cast<uint32_t>(v[i]) & 0xFFFF8000u) | 0x1000u); break;  // f16 ties
      default: v[i] = std::bit_cast<float>((std::bit_cast<uint32_t>(v[i]) & 0xFFFF0000u) | 0x8000u); break;  // bf16 ties
    }
  }
  return v;
}

TEST(LowPrecision, ConversionsMatchTheScalarTwinsBitForBit) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::vector<float> x = Awkward(rng, 100003);  // odd length: the vector loop's tail too
  for (Precision p : {Precision::kBf16, Precision::kF16}) {
    std::vector<uint16_t> fast(x.size());
    ToLowPrecision(p, x.data(), fast.data(), static_cast<int64_t>(x.size()));
    std::vector<float> back(x.size());
    FromLowPrecision(p, fast.data(), back.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      const uint16_t want = p == Precision::kBf16 ? ToBf16Ref(x[i]) : ToF16Ref(x[i]);
      ASSERT_EQ(fast[i], want) << PrecisionName(p) << " x=" << x[i] << " bits " << std::hex
                               << std::bit_cast<uint32_t>(x[i]) << " seed " << seed;
      const float wb = p == Precision::kBf16 ? FromBf16Ref(want) : FromF16Ref(want);
      ASSERT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(wb)) << PrecisionName(p);
    }
  }
}

TEST(LowPrecision, ScalarTwinsRoundToNearestEven) {
  // Hand-checked values: bf16 keeps 8 significant bits, fp16 11 and tops out at 65504.
  EXPECT_EQ(ToBf16Ref(1.f), 0x3F80);
  EXPECT_EQ(ToBf16Ref(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie, even stays
  EXPECT_EQ(ToBf16Ref(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(ToBf16Ref(std::bit_cast<float>(0x3F808001u)), 0x3F81);
  EXPECT_TRUE(std::isnan(FromBf16Ref(ToBf16Ref(std::nanf("")))));
  EXPECT_EQ(ToF16Ref(1.f), 0x3C00);
  EXPECT_EQ(ToF16Ref(-2.f), 0xC000);
  EXPECT_EQ(ToF16Ref(65504.f), 0x7BFF);
  EXPECT_EQ(ToF16Ref(65519.f), 0x7BFF);
  EXPECT_EQ(ToF16Ref(65520.f), 0x7C00);  // inf: what loss scaling detects
  EXPECT_EQ(ToF16Ref(std::ldexp(1.f, -24)), 0x0001);  // the smallest subnormal
  EXPECT_EQ(ToF16Ref(std::ldexp(1.f, -25)), 0x0000);  // tie to even: 0
  EXPECT_EQ(ToF16Ref(std::ldexp(3.f, -25)), 0x0002);  // 1.5 units: tie to even 2
  EXPECT_EQ(ToF16Ref(std::ldexp(1.f, -14)), 0x0400);  // the smallest normal
  EXPECT_EQ(FromF16Ref(0x0001), std::ldexp(1.f, -24));
  EXPECT_EQ(FromF16Ref(0x7BFF), 65504.f);
  EXPECT_TRUE(std::isinf(FromF16Ref(0xFC00)) && FromF16Ref(0xFC00) < 0);
  for (uint32_t h = 0; h < 0x10000; ++h) {  // every finite half survives a round trip
    const float f = FromF16Ref(static_cast<uint16_t>(h));
    if (!std::isnan(f)) {
      ASSERT_EQ(ToF16Ref(f), h) << std::hex << h;
    }
  }
  EXPECT_EQ(ParsePrecision("bf16").value(), Precision::kBf16);
  EXPECT_FALSE(ParsePrecision("fp8").ok());
}

TEST(LowPrecision, StochasticBf16IsUnbiasedReproducibleAndMatchesItsTwin) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::vector<float> x = Awkward(rng, 50001);
  std::vector<uint16_t> y(x.size()), again(x.size());
  ToBf16Stochastic(x.data(), y.data(), static_cast<int64_t>(x.size()), seed);
  ToBf16Stochastic(x.data(), again.data(), static_cast<int64_t>(x.size()), seed);
  EXPECT_EQ(y, again) << "same seed, same bits";
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(y[i], ToBf16StochasticRef(x[i], seed, static_cast<int64_t>(i))) << x[i] << " seed " << seed;
    if (std::isnan(x[i])) {
      ASSERT_TRUE(std::isnan(FromBf16Ref(y[i])));
    } else if (std::fpclassify(x[i]) == FP_NORMAL && std::fabs(x[i]) < 1e38f) {
      // Always one of the two bf16 neighbours of x.
      const float v = FromBf16Ref(y[i]);
      const float down = FromBf16Ref(static_cast<uint16_t>(std::bit_cast<uint32_t>(x[i]) >> 16));
      ASSERT_TRUE(v == down || std::fabs(v) > std::fabs(down)) << x[i];
      ASSERT_LE(std::fabs(v - x[i]), std::fabs(x[i]) * 0.0079f) << x[i];
    }
  }
  // Unbiased: 1 + 0.3 ulp of bf16 (1/128) rounds up ~30% of the time, and
  // the mean of many roundings is the value (deterministic rounding gives 1).
  const float v = 1.f + 0.3f / 128.f;
  std::vector<float> same(200000, v);
  std::vector<uint16_t> r(same.size());
  ToBf16Stochastic(same.data(), r.data(), static_cast<int64_t>(r.size()), seed + 1);
  double mean = 0;
  for (uint16_t h : r) mean += FromBf16Ref(h);
  mean /= static_cast<double>(r.size());
  EXPECT_NEAR(mean, v, 0.05 / 128) << "seed " << seed;  // ~20 standard errors of margin
  EXPECT_EQ(FromBf16Ref(ToBf16Ref(v)), 1.f);
}

TEST(LowPrecision, ConversionWithColumnSumsIsBothPassesInOne) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{2048, 384}, {129, 1537}, {1, 7}, {63, 16}}) {
    const std::vector<float> x = RandomVec(rng, rows * cols);
    for (Precision p : {Precision::kBf16, Precision::kF16}) {
      std::vector<uint16_t> fused(x.size()), plain(x.size());
      std::vector<float> sums = RandomVec(rng, cols), want = sums;
      ToLowPrecisionWithColumnSums(p, x.data(), fused.data(), sums.data(), rows, cols);
      ToLowPrecision(p, x.data(), plain.data(), rows * cols);
      EXPECT_EQ(fused, plain) << rows << "x" << cols;
      BiasBackwardRef(want.data(), x.data(), rows, cols);
      // Both sum in double; only the order differs (blocks of rows).
      for (int64_t c = 0; c < cols; ++c)
        ASSERT_NEAR(sums[c], want[c], 1e-5f * (1.f + std::fabs(want[c]))) << c << " seed " << seed;
    }
  }
}

// Operands that are windows of wider rows, in buffers that end at their last
// used value: the fp16 path widens only what is there (ASan checks).
TEST(LowPrecision, GemmLowpReadsStridedWindowsOnly) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  // A [M, K] and B^T; then A^T (the LM head's d weight reads d logits so).
  for (bool ta : {false, true}) {
    const GemmShape s{ta, !ta, 9, 7, 12, /*lda=*/20, /*ldb=*/15, /*ldc=*/10};
    const int64_t a_rows = ta ? 12 : 9, a_cols = ta ? 9 : 12, b_rows = ta ? 12 : 7, b_cols = ta ? 7 : 12;
    for (Precision p : {Precision::kBf16, Precision::kF16}) {
      const auto fa = RandomVec(rng, (a_rows - 1) * 20 + a_cols), fb = RandomVec(rng, (b_rows - 1) * 15 + b_cols);
      std::vector<uint16_t> a(fa.size()), b(fb.size());
      ToLowPrecision(p, fa.data(), a.data(), static_cast<int64_t>(a.size()));
      ToLowPrecision(p, fb.data(), b.data(), static_cast<int64_t>(b.size()));
      std::vector<float> got(8 * 10 + 7, 0.f), want = got;
      GemmLowp(p, s, 1.f, a.data(), b.data(), 0.f, got.data());
      GemmLowpRef(p, s, 1.f, a.data(), b.data(), 0.f, want.data());
      EXPECT_LT(testing::MaxAbsDiff(got, want), 1e-4f) << PrecisionName(p) << " ta " << ta << " seed " << seed;
    }
  }
}

TEST(LowPrecision, GemmLowpMatchesItsReferenceOnEveryTransposeBetaAndBias) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  struct Case { bool ta, tb; int64_t m, n, k; float alpha, beta; bool bias; };
  const Case cases[] = {{false, true, 33, 70, 64, 1.f, 0.f, true}, {false, false, 17, 33, 96, 1.f, 0.f, false},
                        {true, false, 48, 40, 31, 1.f, 1.f, false}, {true, true, 9, 5, 40, 0.5f, 0.25f, false}};
  for (Precision p : {Precision::kBf16, Precision::kF16}) {
    for (const Case& c : cases) {
      const GemmShape s{c.ta, c.tb, c.m, c.n, c.k};
      auto fa = RandomVec(rng, c.m * c.k), fb = RandomVec(rng, c.k * c.n), bias = RandomVec(rng, c.n);
      std::vector<uint16_t> a(fa.size()), b(fb.size());
      ToLowPrecision(p, fa.data(), a.data(), static_cast<int64_t>(a.size()));
      ToLowPrecision(p, fb.data(), b.data(), static_cast<int64_t>(b.size()));
      auto c0 = RandomVec(rng, c.m * c.n);
      auto got = c0, want = c0;
      GemmLowp(p, s, c.alpha, a.data(), b.data(), c.beta, got.data(), c.bias ? bias.data() : nullptr);
      GemmLowpRef(p, s, c.alpha, a.data(), b.data(), c.beta, want.data(), c.bias ? bias.data() : nullptr);
      // Products of 16-bit values are exact in f32; only the f32 summation order differs.
      EXPECT_LT(testing::MaxAbsDiff(got, want), 2e-5f * c.k) << PrecisionName(p) << " seed " << seed
                                                            << " m" << c.m << " n" << c.n << " k" << c.k;
    }
  }
}

}  // namespace
}  // namespace seek
