#include "train/schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace seek {
namespace {

TEST(Schedule, WarmupThenCosineToTheFloor) {
  ScheduleConfig c{ScheduleKind::kCosine, 1.0, 0.1, 10, 110};
  EXPECT_DOUBLE_EQ(LrAt(c, 0), 0.1);
  EXPECT_DOUBLE_EQ(LrAt(c, 4), 0.5);
  EXPECT_DOUBLE_EQ(LrAt(c, 9), 1.0);
  EXPECT_DOUBLE_EQ(LrAt(c, 10), 1.0);                  // progress 0
  EXPECT_NEAR(LrAt(c, 60), 0.1 + 0.9 * 0.5, 1e-12);    // half way: the mid point
  EXPECT_NEAR(LrAt(c, 35), 0.1 + 0.45 * (1 + std::cos(M_PI * 0.25)), 1e-12);
  EXPECT_DOUBLE_EQ(LrAt(c, 110), 0.1);
  EXPECT_DOUBLE_EQ(LrAt(c, 500), 0.1);                 // past the end: the floor
}

TEST(Schedule, ConstantWsdAndMultiStep) {
  ScheduleConfig k{ScheduleKind::kConstant, 2.0, 0.0, 4, 100};
  EXPECT_DOUBLE_EQ(LrAt(k, 1), 1.0);
  EXPECT_DOUBLE_EQ(LrAt(k, 77), 2.0);

  ScheduleConfig w{ScheduleKind::kWsd, 1.0, 0.0, 0, 100, 0.2};
  EXPECT_DOUBLE_EQ(LrAt(w, 0), 1.0);
  EXPECT_DOUBLE_EQ(LrAt(w, 79), 1.0);
  EXPECT_DOUBLE_EQ(LrAt(w, 80), 1.0);  // decay starts at step 80 with progress 0
  EXPECT_DOUBLE_EQ(LrAt(w, 90), 0.5);
  EXPECT_DOUBLE_EQ(LrAt(w, 100), 0.0);

  ScheduleConfig m{ScheduleKind::kMultiStep, 1.0, 0.0, 0, 1000};
  EXPECT_DOUBLE_EQ(LrAt(m, 799), 1.0);
  EXPECT_DOUBLE_EQ(LrAt(m, 800), 0.316);  // 31.6% of the maximum after 80% (DeepSeek LLM)
  EXPECT_DOUBLE_EQ(LrAt(m, 899), 0.316);
  EXPECT_DOUBLE_EQ(LrAt(m, 900), 0.1);    // 10% after 90%
}

TEST(Schedule, NamesRoundTripAndUnknownIsAnError) {
  for (auto k : {ScheduleKind::kCosine, ScheduleKind::kConstant, ScheduleKind::kWsd,
                 ScheduleKind::kMultiStep})
    EXPECT_EQ(*ParseScheduleKind(ScheduleKindName(k)), k);
  auto bad = ParseScheduleKind("linear");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'linear'"), std::string::npos);
}

}  // namespace
}  // namespace seek
