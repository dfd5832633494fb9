// The dynamic loss scaler against a plain transcription of Megatron-LM's
// DynamicGradScaler.update on fresh random overflow / clean sequences, plus
// hand-checked sequences and the minimum-scale error.
#include <random>

#include <gtest/gtest.h>

#include "train/loss_scaler.h"

namespace seek {
namespace {

// Megatron's update, written out plainly (with its clamp at min_scale).
struct MegatronTwin {
  double scale, min_scale, growth, backoff;
  int64_t interval, hysteresis, growth_tracker = 0, hysteresis_tracker;
  void Update(bool found_inf) {
    if (found_inf) {
      growth_tracker = 0;
      hysteresis_tracker -= 1;
      if (hysteresis_tracker <= 0) scale = std::max(scale * backoff, min_scale);
    } else {
      growth_tracker += 1;
      if (growth_tracker == interval) {
        growth_tracker = 0;
        hysteresis_tracker = hysteresis;
        scale *= growth;
      }
    }
  }
};

TEST(LossScaler, HandCheckedSequence) {
  LossScalerOptions o;
  o.growth_interval = 3;
  o.hysteresis = 2;
  DynamicLossScaler s(o);
  auto step = [&](bool inf) {
    EXPECT_TRUE(s.Update(inf).ok());
    return s.scale();
  };
  EXPECT_EQ(s.scale(), 65536);
  EXPECT_EQ(step(true), 65536);   // hysteresis 2 -> 1: no backoff yet
  EXPECT_EQ(step(true), 32768);   // 1 -> 0: halve
  EXPECT_EQ(step(true), 16384);   // stays <= 0: every overflow halves
  EXPECT_EQ(step(false), 16384);
  EXPECT_EQ(step(false), 16384);
  EXPECT_EQ(step(false), 32768);  // 3 clean steps: double, hysteresis refilled
  EXPECT_EQ(step(true), 32768);   // 2 -> 1
  EXPECT_EQ(step(false), 32768);  // a clean step does not refill hysteresis
  EXPECT_EQ(step(true), 16384);   // 1 -> 0: halve
}

TEST(LossScaler, MatchesMegatronOnRandomSequences) {
  std::mt19937_64 rng(std::random_device{}());
  for (int trial = 0; trial < 200; ++trial) {
    LossScalerOptions o;
    o.growth_interval = 1 + static_cast<int64_t>(rng() % 20);
    o.hysteresis = 1 + static_cast<int64_t>(rng() % 4);
    o.initial_scale = std::ldexp(1.0, 10 + static_cast<int>(rng() % 20));
    o.min_scale = std::ldexp(1.0, static_cast<int>(rng() % 5));
    DynamicLossScaler s(o);
    MegatronTwin t{o.initial_scale, o.min_scale, o.growth_factor, o.backoff_factor, o.growth_interval,
                   o.hysteresis, 0, o.hysteresis};
    const double p_inf = static_cast<double>(rng() % 100) / 400.0;
    for (int i = 0; i < 500; ++i) {
      const bool inf = std::uniform_real_distribution<double>(0, 1)(rng) < p_inf;
      const double before = s.scale();
      Status st = s.Update(inf);
      if (!st.ok()) {
        // Only where Megatron would clamp at the minimum.
        EXPECT_LT(before * o.backoff_factor, o.min_scale);
        EXPECT_NE(st.message().find("minimum loss scale"), std::string::npos);
        break;
      }
      t.Update(inf);
      ASSERT_EQ(s.scale(), t.scale) << "trial " << trial << " step " << i;
      ASSERT_EQ(s.state().growth_tracker, t.growth_tracker);
      ASSERT_EQ(s.state().hysteresis_tracker, t.hysteresis_tracker);
    }
  }
}

TEST(LossScaler, MinimumScaleIsAnErrorAndStateRestores) {
  LossScalerOptions o;
  o.initial_scale = 4;
  o.min_scale = 1;
  o.hysteresis = 1;
  DynamicLossScaler s(o);
  EXPECT_TRUE(s.Update(true).ok());  // 2
  EXPECT_TRUE(s.Update(true).ok());  // 1
  const LossScalerState at_min = s.state();
  Status st = s.Update(true);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(s.state(), at_min) << "a refused update changes nothing";
  DynamicLossScaler r(o);
  ASSERT_TRUE(r.Restore(at_min).ok());
  EXPECT_EQ(r.state(), at_min);
  EXPECT_FALSE(r.Restore({0.5, 0, 1}).ok());
  EXPECT_FALSE(r.Restore({4, 5000, 1}).ok());
  LossScalerOptions bad;
  bad.backoff_factor = 1.5;
  EXPECT_FALSE(bad.Validate().ok());
  bad = {};
  bad.min_scale = 1e9;
  EXPECT_FALSE(bad.Validate().ok());
}

}  // namespace
}  // namespace seek
