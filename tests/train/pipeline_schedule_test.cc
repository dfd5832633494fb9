// The 1F1B schedule (train/dist/pipeline.h) against the rule of issue 8, and
// a simulation of all stages that finds no deadlock and bounded in-flight
// micro-batches. The executor runs under MPI (tests/dist/).
#include "train/dist/pipeline_schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "model/config.h"

namespace seek {
namespace {

constexpr PipeOp::Kind F = PipeOp::kForward, B = PipeOp::kBackward;

TEST(OneFOneBSchedule, FollowsWarmupSteadyCooldown) {
  // pp 4, m 6, stage 0: warm-up 3 forwards.
  EXPECT_EQ(OneFOneBSchedule(4, 0, 6), (std::vector<PipeOp>{{F, 0},
                                                            {F, 1},
                                                            {F, 2},
                                                            {F, 3},
                                                            {B, 0},
                                                            {F, 4},
                                                            {B, 1},
                                                            {F, 5},
                                                            {B, 2},
                                                            {B, 3},
                                                            {B, 4},
                                                            {B, 5}}));
  // The last stage alternates from the start.
  EXPECT_EQ(OneFOneBSchedule(4, 3, 3),
            (std::vector<PipeOp>{{F, 0}, {B, 0}, {F, 1}, {B, 1}, {F, 2}, {B, 2}}));
  // Fewer micro-batches than the warm-up: all forwards, then all backwards.
  EXPECT_EQ(OneFOneBSchedule(4, 0, 2), (std::vector<PipeOp>{{F, 0}, {F, 1}, {B, 0}, {B, 1}}));
  EXPECT_EQ(OneFOneBSchedule(1, 0, 2), (std::vector<PipeOp>{{F, 0}, {B, 0}, {F, 1}, {B, 1}}));
}

TEST(OneFOneBSchedule, MatchesTheRuleForEveryShape) {
  for (int pp = 1; pp <= 6; ++pp)
    for (int m = 1; m <= 9; ++m)
      for (int s = 0; s < pp; ++s) {
        SCOPED_TRACE(::testing::Message() << "pp " << pp << " m " << m << " stage " << s);
        const std::vector<PipeOp> ops = OneFOneBSchedule(pp, s, m);
        const int warmup = std::min(pp - s - 1, m);
        ASSERT_EQ(ops.size(), size_t(2 * m));
        int f = 0, b = 0, in_flight = 0, max_in_flight = 0;
        for (size_t k = 0; k < ops.size(); ++k) {
          if (k < size_t(warmup)) EXPECT_EQ(ops[k].kind, F);
          // Steady state: F, B alternate; cool-down: the rest are B.
          const size_t steady_end = size_t(warmup + 2 * (m - warmup));
          if (k >= size_t(warmup) && k < steady_end)
            EXPECT_EQ(ops[k].kind, (k - warmup) % 2 == 0 ? F : B);
          if (k >= steady_end) EXPECT_EQ(ops[k].kind, B);
          // Each kind in micro-batch order; a backward after its forward.
          if (ops[k].kind == F) {
            EXPECT_EQ(ops[k].micro_batch, f++);
            max_in_flight = std::max(max_in_flight, ++in_flight);
          } else {
            EXPECT_EQ(ops[k].micro_batch, b++);
            EXPECT_LT(ops[k].micro_batch, f);
            --in_flight;
          }
        }
        EXPECT_LE(max_in_flight, pp - s);
        EXPECT_EQ(max_in_flight, OneFOneBInFlight(pp, s, m));
      }
}

// Every stage runs its list in order; F(i) on s waits for F(i) on s - 1 and
// B(i) for B(i) on s + 1 (the receives). All stages must finish.
TEST(OneFOneBSchedule, AllStagesTogetherNeverDeadlock) {
  for (int pp = 1; pp <= 6; ++pp)
    for (int m = 1; m <= 9; ++m) {
      std::vector<std::vector<PipeOp>> ops(pp);
      std::vector<size_t> next(pp, 0);
      std::vector<std::set<int>> fdone(pp), bdone(pp);
      for (int s = 0; s < pp; ++s) ops[s] = OneFOneBSchedule(pp, s, m);
      for (bool progress = true; progress;) {
        progress = false;
        for (int s = 0; s < pp; ++s) {
          if (next[s] == ops[s].size()) continue;
          const PipeOp op = ops[s][next[s]];
          const bool ready = op.kind == F ? (s == 0 || fdone[s - 1].count(op.micro_batch))
                                          : (s == pp - 1 || bdone[s + 1].count(op.micro_batch));
          if (!ready) continue;
          (op.kind == F ? fdone : bdone)[s].insert(op.micro_batch);
          ++next[s];
          progress = true;
        }
      }
      for (int s = 0; s < pp; ++s)
        EXPECT_EQ(next[s], ops[s].size()) << "pp " << pp << " m " << m << " stage " << s;
    }
}

TEST(PipelineStageShard, SplitsLayersAndRejectsTooManyStages) {
  ModelConfig c;
  c.n_layer = 5;
  std::vector<std::pair<int64_t, int64_t>> got;
  for (int s = 0; s < 2; ++s) {
    ModelShard shard = PipelineStageShard(c, 2, s).value();
    got.push_back({shard.layer_begin, shard.layer_end});
  }
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {2, 5}}));
  c.n_layer = 3;
  StatusOr<ModelShard> bad = PipelineStageShard(c, 4, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fewer than the 4 pipeline stages"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(PipelineStageShard(c, 2, 2).ok());
}

}  // namespace
}  // namespace seek
