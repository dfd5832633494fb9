// Scheduler decisions without a model: chunked prefill alongside decoding,
// the batch limit, admission by cache room, preemption and removal.
#include "infer/scheduler.h"

#include <gtest/gtest.h>

#include "infer_test_util.h"

namespace seek {
namespace {

std::unique_ptr<KvCache> Cache(int64_t bs, int64_t blocks) {
  ModelConfig c = testing::TinyConfig("llama");
  const double mb = c.n_layer * 2.0 * bs * c.n_kv_head * c.head_dim() * 4 / (1 << 20);
  return KvCache::Create(c, bs, mb * (blocks + 0.5)).value();
}

std::unique_ptr<SequenceState> Seq(int64_t id, int64_t n, int32_t first = 0) {
  auto s = std::make_unique<SequenceState>();
  s->id = id;
  for (int64_t i = 0; i < n; ++i) s->tokens.push_back(first + static_cast<int32_t>(i));
  s->prompt_len = n;
  return s;
}

// Runs the plan as the engine would: commit, and "sample" a token for last chunks.
void RunPlan(KvCache* kv, Scheduler* s, const std::vector<ScheduledChunk>& plan) {
  for (const ScheduledChunk& c : plan)
    kv->Commit(c.seq->kv_seq, c.seq->tokens.data() + c.seq->n_computed, c.n);
  s->Advance(plan);
  for (const ScheduledChunk& c : plan)
    if (c.last) c.seq->tokens.push_back(7);
}

TEST(Scheduler, LongPromptIsChunkedWhileOthersDecode) {
  auto kv = Cache(4, 100);
  Scheduler s(kv.get(), SchedulerOptions{4, 16, 64});
  s.Add(Seq(1, 3));
  auto plan = s.Schedule();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_TRUE(plan[0].last);
  RunPlan(kv.get(), &s, plan);
  s.Add(Seq(2, 50, 100));
  // Four steps: sequence 1 decodes one token each step, sequence 2 prefills 16, 16, 16, 2.
  const int64_t chunks[] = {16, 16, 16, 2};
  for (int step = 0; step < 4; ++step) {
    plan = s.Schedule();
    ASSERT_EQ(plan.size(), 2u) << step;
    EXPECT_EQ(plan[0].seq->id, 1);
    EXPECT_EQ(plan[0].n, 1);
    EXPECT_TRUE(plan[0].last);
    EXPECT_EQ(plan[1].seq->id, 2);
    EXPECT_EQ(plan[1].n, chunks[step]);
    EXPECT_EQ(plan[1].last, step == 3);
    RunPlan(kv.get(), &s, plan);
  }
}

TEST(Scheduler, BatchLimitAndRemoval) {
  auto kv = Cache(4, 100);
  Scheduler s(kv.get(), SchedulerOptions{2, 64, 128});
  for (int i = 0; i < 4; ++i) s.Add(Seq(i, 5, 10 * i));
  auto plan = s.Schedule();
  EXPECT_EQ(plan.size(), 2u);
  EXPECT_EQ(s.num_running(), 2);
  EXPECT_EQ(s.num_waiting(), 2);
  RunPlan(kv.get(), &s, plan);
  EXPECT_TRUE(s.Remove(0));
  EXPECT_FALSE(s.Remove(0));
  plan = s.Schedule();  // sequence 1 decodes, sequence 2 joins
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].seq->id, 1);
  EXPECT_EQ(plan[1].seq->id, 2);
  EXPECT_TRUE(s.Remove(3));  // waiting ones can leave too
  EXPECT_EQ(s.num_waiting(), 0);
}

TEST(Scheduler, PreemptsTheNewestWhenBlocksRunOut) {
  auto kv = Cache(2, 6);  // 12 token slots
  Scheduler s(kv.get(), SchedulerOptions{4, 64, 128});
  s.Add(Seq(1, 3));
  s.Add(Seq(2, 3, 50));
  auto plan = s.Schedule();
  ASSERT_EQ(plan.size(), 2u);
  RunPlan(kv.get(), &s, plan);  // each holds 3 computed + 1 sampled: 2 blocks each
  int64_t preempted_before = s.num_preemptions();
  for (int step = 0; step < 6 && s.num_preemptions() == preempted_before; ++step)
    RunPlan(kv.get(), &s, s.Schedule());
  EXPECT_GT(s.num_preemptions(), preempted_before);
  EXPECT_EQ(s.num_running(), 1);
  EXPECT_EQ(s.Find(2)->kv_seq, -1);  // the newer one went back to waiting
  EXPECT_EQ(s.Find(2)->n_computed, 0);
  EXPECT_GT(s.Find(1)->n_computed, 3);
}

}  // namespace
}  // namespace seek
