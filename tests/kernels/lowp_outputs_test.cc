// The norm, activation and cross-entropy kernels with a 16-bit output write
// exactly what the f32 kernel followed by ToLowPrecision would, bit for bit,
// in bf16 and fp16, on random shapes (rows not a multiple of one vector,
// element counts that end inside a piece, ignored targets); the statistics
// and losses they return are the f32 kernel's too.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "kernels/activations.h"
#include "kernels/cross_entropy.h"
#include "kernels/lowp.h"
#include "kernels/norms.h"
#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::RandomVec;

std::vector<uint16_t> Rounded(Precision p, const std::vector<float>& x) {
  std::vector<uint16_t> y(x.size());
  ToLowPrecision(p, x.data(), y.data(), static_cast<int64_t>(x.size()));
  return y;
}

struct Shape {
  int64_t rows, cols;
};

class LowpOutputs : public ::testing::TestWithParam<Precision> {};

TEST_P(LowpOutputs, NormsRoundTheF32KernelsOutput) {
  const Precision p = GetParam();
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (Shape s : {Shape{1, 5}, Shape{7, 384}, Shape{33, 17}, Shape{300, 1000}}) {
    const std::string where = "seed " + std::to_string(seed) + " " + std::to_string(s.rows) + "x" +
                              std::to_string(s.cols);
    const int64_t n = s.rows * s.cols;
    const std::vector<float> x = RandomVec(rng, n, 3.f), w = RandomVec(rng, s.cols), b = RandomVec(rng, s.cols);
    for (const float* bias : {b.data(), static_cast<const float*>(nullptr)}) {
      std::vector<float> out(n), mean(s.rows), rstd(s.rows), mean16(s.rows), rstd16(s.rows);
      std::vector<uint16_t> out16(n, 0xFFFF);
      LayerNormForward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), bias, s.rows, s.cols, 1e-5f);
      LayerNormForwardLowp(p, out16.data(), mean16.data(), rstd16.data(), x.data(), w.data(), bias, s.rows, s.cols,
                           1e-5f);
      EXPECT_EQ(out16, Rounded(p, out)) << "LayerNorm " << where;
      EXPECT_EQ(0, std::memcmp(mean.data(), mean16.data(), sizeof(float) * s.rows)) << where;
      EXPECT_EQ(0, std::memcmp(rstd.data(), rstd16.data(), sizeof(float) * s.rows)) << where;
    }
    std::vector<float> out(n), rstd(s.rows), rstd16(s.rows);
    std::vector<uint16_t> out16(n, 0xFFFF);
    RmsNormForward(out.data(), rstd.data(), x.data(), w.data(), s.rows, s.cols, 1e-6f);
    RmsNormForwardLowp(p, out16.data(), rstd16.data(), x.data(), w.data(), s.rows, s.cols, 1e-6f);
    EXPECT_EQ(out16, Rounded(p, out)) << "RMSNorm " << where;
    EXPECT_EQ(0, std::memcmp(rstd.data(), rstd16.data(), sizeof(float) * s.rows)) << where;
  }
}

TEST_P(LowpOutputs, ActivationsRoundTheF32KernelsOutput) {
  const Precision p = GetParam();
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  // GELU: below one thread's share, several 4,096-element pieces, a ragged end.
  for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{70001}, int64_t{300007}}) {
    const std::vector<float> x = RandomVec(rng, n, 4.f);
    std::vector<float> out(n);
    std::vector<uint16_t> out16(n, 0xFFFF);
    GeluForward(out.data(), x.data(), n);
    GeluForwardLowp(p, out16.data(), x.data(), n);
    EXPECT_EQ(out16, Rounded(p, out)) << "GELU n " << n << " seed " << seed;
  }
  for (Shape s : {Shape{1, 3}, Shape{9, 1024}, Shape{300, 77}}) {
    const std::vector<float> gate_up = RandomVec(rng, s.rows * 2 * s.cols, 4.f);
    std::vector<float> out(s.rows * s.cols);
    std::vector<uint16_t> out16(out.size(), 0xFFFF);
    SwiGluForward(out.data(), gate_up.data(), s.rows, s.cols);
    SwiGluForwardLowp(p, out16.data(), gate_up.data(), s.rows, s.cols);
    EXPECT_EQ(out16, Rounded(p, out)) << "SwiGLU " << s.rows << "x" << s.cols << " seed " << seed;
  }
}

// The activations' backward with a 16-bit output and the bias gradient's
// column sums: ToLowPrecisionWithColumnSums of the f32 backward, bit for bit.
TEST_P(LowpOutputs, ActivationBackwardRoundsAndSumsTheF32Gradient) {
  const Precision p = GetParam();
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (Shape s : {Shape{1, 3}, Shape{65, 1536}, Shape{300, 77}}) {
    for (bool swiglu : {false, true}) {
      const int64_t N = s.rows, I = s.cols, width = swiglu ? 2 * I : I;
      const std::vector<float> up = RandomVec(rng, N * width, 4.f), dact = RandomVec(rng, N * I);
      const std::vector<float> bias0 = RandomVec(rng, width);
      std::vector<float> dup(N * width), bias = bias0, bias16 = bias0;
      std::vector<uint16_t> want(N * width), got(N * width, 0xFFFF);
      if (swiglu) {
        SwiGluBackward(dup.data(), dact.data(), up.data(), N, I);
        SwiGluBackwardLowp(p, got.data(), bias16.data(), dact.data(), up.data(), N, I);
      } else {
        GeluBackward(dup.data(), dact.data(), up.data(), N * I);
        GeluBackwardLowp(p, got.data(), bias16.data(), dact.data(), up.data(), N, I);
      }
      ToLowPrecisionWithColumnSums(p, dup.data(), want.data(), bias.data(), N, width);
      const std::string where = std::string(swiglu ? "SwiGLU " : "GELU ") + std::to_string(N) + "x" +
                                std::to_string(I) + " seed " + std::to_string(seed);
      EXPECT_EQ(got, want) << where;
      EXPECT_EQ(bias16, bias) << where;
      std::vector<uint16_t> no_bias(N * width, 0xFFFF);  // dbias null: the same rounding, no sums
      if (swiglu)
        SwiGluBackwardLowp(p, no_bias.data(), nullptr, dact.data(), up.data(), N, I);
      else
        GeluBackwardLowp(p, no_bias.data(), nullptr, dact.data(), up.data(), N, I);
      EXPECT_EQ(no_bias, want) << where;
    }
  }
}

TEST_P(LowpOutputs, CrossEntropyRoundsTheF32Gradient) {
  const Precision p = GetParam();
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (Shape s : {Shape{1, 7}, Shape{300, 33}, Shape{13, 1000}, Shape{40, 8192}}) {
    const int64_t N = s.rows, V = s.cols;
    const std::vector<float> logits = RandomVec(rng, N * V, 5.f);
    std::vector<int32_t> targets(N);
    for (int64_t r = 0; r < N; ++r)
      targets[r] = r % 5 == 3 ? kIgnoreTarget : static_cast<int32_t>(rng.NextU64() % V);
    std::vector<float> dlogits(N * V), losses(N), losses16(N);
    std::vector<uint16_t> d16(N * V, 0xFFFF);
    const float scale = 1.f / 3;
    const double sum = CrossEntropyForwardBackward(dlogits.data(), losses.data(), logits.data(), targets.data(), N, V,
                                                   scale);
    std::vector<float> untouched = logits;
    const double sum16 = CrossEntropyForwardBackwardLowp(p, d16.data(), losses16.data(), untouched.data(),
                                                         targets.data(), N, V, scale);
    const std::string where = "seed " + std::to_string(seed) + " " + std::to_string(N) + "x" + std::to_string(V);
    const std::vector<uint16_t> expect = Rounded(p, dlogits);
    EXPECT_EQ(d16, expect) << where;
    EXPECT_EQ(sum, sum16) << where;
    EXPECT_EQ(0, std::memcmp(losses.data(), losses16.data(), sizeof(float) * N)) << where;
    EXPECT_EQ(untouched, logits) << "the logits are only read; " << where;
    // In place: the halves over the first half of the logits' memory.
    std::vector<float> in_place = logits;
    uint16_t* base = reinterpret_cast<uint16_t*>(in_place.data());
    const double sum_in_place = CrossEntropyForwardBackwardLowp(p, base, losses16.data(), in_place.data(),
                                                                targets.data(), N, V, scale);
    EXPECT_EQ(sum, sum_in_place) << where;
    EXPECT_EQ(std::vector<uint16_t>(base, base + N * V), expect) << "in place; " << where;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, LowpOutputs, ::testing::Values(Precision::kBf16, Precision::kF16),
                         [](const ::testing::TestParamInfo<Precision>& i) {
                           return std::string(PrecisionName(i.param));
                         });

}  // namespace
}  // namespace seek
