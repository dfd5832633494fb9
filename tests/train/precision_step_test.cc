// fp16 steps with dynamic loss scaling through the real model and optimizer:
// an overflowing step changes no parameter and no moment (to the bit) and
// backs the scale off with Megatron's hysteresis; a clean step then updates.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "model/model_test_util.h"
#include "train/step.h"

namespace seek {
namespace {

std::vector<float> Copy(const float* p, int64_t n) { return std::vector<float>(p, p + n); }

TEST(PrecisionStep, Fp16OverflowSkipsTheStepBitExactlyAndBacksOff) {
  const uint64_t seed = testing::FreshSeed();
  Rng rng(seed);
  for (const char* family : {"gpt2", "llama"}) {
    const ModelConfig c = testing::TinyConfig(family);
    auto model = Transformer::Create(c).value();
    model->params().Initialize(c, seed);
    model->SetPrecision(Precision::kF16);
    OptimSection opt;
    AdamWOptimizer optimizer(model->params(), opt);
    LossScalerOptions lo;
    lo.initial_scale = std::ldexp(1.0, 30);  // dlogits ~ 2^30 / tokens: far beyond fp16's 65504
    lo.hysteresis = 2;
    DynamicLossScaler scaler(lo);
    const testing::RandomBatch rb = testing::MakeBatch(rng, 2, 16, c.vocab_size);
    const Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
    const int64_t n = model->params().size();

    // One clean fp32-scale step first so that the moments are not all zero.
    DynamicLossScaler warm(LossScalerOptions{.initial_scale = 1024});
    ASSERT_TRUE(AccumulateAndStep(model.get(), &optimizer, {b}, 1.0, 1e-3, &warm).value().finite);

    std::vector<double> scales;
    int overflows = 0;
    for (int step = 0; step < 60; ++step) {
      const auto w = Copy(model->params().data(), n), m = Copy(optimizer.m(), n), v = Copy(optimizer.v(), n);
      const int64_t t = optimizer.step();
      scales.push_back(scaler.scale());
      StepResult r = AccumulateAndStep(model.get(), &optimizer, {b}, 1.0, 1e-3, &scaler).value();
      EXPECT_EQ(r.loss_scale, scales.back());
      EXPECT_TRUE(std::isfinite(r.loss)) << "the loss is fp32: it never overflows";
      if (!r.overflow) {
        EXPECT_TRUE(r.finite);
        EXPECT_NE(Copy(model->params().data(), n), w) << "a clean step must update";
        EXPECT_EQ(optimizer.step(), t + 1);
        break;
      }
      ++overflows;
      EXPECT_FALSE(r.finite);
      EXPECT_EQ(std::memcmp(model->params().data(), w.data(), n * sizeof(float)), 0) << family << " step " << step;
      EXPECT_EQ(std::memcmp(optimizer.m(), m.data(), n * sizeof(float)), 0);
      EXPECT_EQ(std::memcmp(optimizer.v(), v.data(), n * sizeof(float)), 0);
      EXPECT_EQ(optimizer.step(), t);
    }
    ASSERT_GE(overflows, 3) << family;
    ASSERT_LT(overflows, 60) << family << ": never found a scale that fits fp16";
    // Megatron: the first overflow only uses up the hysteresis; every later one halves.
    EXPECT_EQ(scales[1], scales[0]) << family;
    for (size_t i = 2; i < scales.size(); ++i) EXPECT_EQ(scales[i], scales[i - 1] / 2) << family << " " << i;
  }
}

TEST(PrecisionStep, Bf16AndFp16LossesTrackFp32) {
  const uint64_t seed = testing::FreshSeed();
  Rng rng(seed);
  for (const char* family : {"gpt2", "llama"}) {
    const ModelConfig c = testing::TinyConfig(family);
    const testing::RandomBatch rb = testing::MakeBatch(rng, 2, 32, c.vocab_size);
    const Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
    double losses[3];
    std::vector<float> grads[3];
    const Precision modes[] = {Precision::kF32, Precision::kBf16, Precision::kF16};
    for (int k = 0; k < 3; ++k) {
      auto model = Transformer::Create(c).value();
      model->params().Initialize(c, seed);
      model->SetPrecision(modes[k]);
      model->params().ZeroGrad();
      losses[k] = model->ForwardBackward(b, 0.f).value().mean();
      grads[k] = Copy(model->params().grad(), model->params().size());
    }
    for (int k = 1; k < 3; ++k) {
      EXPECT_NEAR(losses[k], losses[0], 1e-3) << family << " " << PrecisionName(modes[k]) << " seed " << seed;
      EXPECT_NE(grads[k], grads[0]) << "the 16-bit path did not run";
      float worst = 0, top = 0;
      for (size_t i = 0; i < grads[0].size(); ++i) {
        worst = std::max(worst, std::fabs(grads[k][i] - grads[0][i]));
        top = std::max(top, std::fabs(grads[0][i]));
      }
      EXPECT_LT(worst / top, k == 1 ? 2e-2f : 4e-3f) << family << " " << PrecisionName(modes[k]);
    }
  }
}

}  // namespace
}  // namespace seek
