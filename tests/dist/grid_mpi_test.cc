// The parallelisms combined on a grid of 4 ranks (train/dist/grid.h) against
// one process, as the trainer runs them: dp=2 x tp=2 (AccumulateAndStep +
// GradientSync + a TP model), dp=2 x pp=2 (PipelineAccumulateAndStep +
// GradientSync), plain and ZeRO-1, and tp=2 x pp=2 (TP models as stages). First step:
// the loss and every gradient (assembled into the whole model's layout)
// within 1e-6 of the largest gradient and 2e-6 of each tensor's (the
// tolerance tests/model/tensor_parallel_test.cc justifies: f32 reassociation
// moves the norms' small, cancelling bias gradients by up to ~1.2e-6); 20
// AdamW steps with clipping: losses within 1e-4. Vocabulary 101 does not
// divide by tp. Needs exactly 4 ranks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "model/model_test_util.h"
#include "model/tp_test_util.h"
#include "train/dist/data_parallel.h"
#include "train/dist/grid.h"
#include "train/dist/pipeline.h"
#include "train/dist/tensor_parallel.h"
#include "train/step.h"

namespace seek {
namespace {

struct Case {
  const char* family;
  int64_t tp, pp;
  bool zero1;
};

class GridTest : public ::testing::TestWithParam<Case> {};

TEST_P(GridTest, MatchesOneProcess) {
  const Case& k = GetParam();
  auto world_or = WorldCommunicator();
  ASSERT_TRUE(world_or.ok());
  Communicator& world = **world_or;
  if (world.size() != 4) GTEST_SKIP() << "needs 4 ranks";
  world.set_timeout_s(300);
  uint64_t seed = testing::FreshSeed();
  ASSERT_TRUE(world.Broadcast(&seed, sizeof seed, 0).ok());
  const ModelConfig c = testing::TinyConfig(k.family, /*tied=*/std::string(k.family) == "gpt2");
  const int64_t B = 4, T = 16, A = 3;  // global rows per micro-batch, micro-batches per step

  auto layout = ResolveLayout(Layout{0, k.tp, k.pp}, world.size(), c, B);
  ASSERT_TRUE(layout.ok()) << layout.status().message();
  auto groups_or = MakeGroups(world, *layout);
  ASSERT_TRUE(groups_or.ok());
  Groups& g = *groups_or;
  ModelShard shard;
  shard.tp_rank = static_cast<int>(g.tp_rank);
  shard.tp_size = static_cast<int>(k.tp);
  if (k.pp > 1) shard = PipelineStageShard(c, static_cast<int>(k.pp), static_cast<int>(g.pp_rank)).value();
  shard.tp_rank = static_cast<int>(g.tp_rank);
  shard.tp_size = static_cast<int>(k.tp);
  CommunicatorTpCollectives collectives(g.tp.get());

  auto ref = std::move(Transformer::Create(c).value());
  ref->params().Initialize(c, seed);
  auto model = std::move(Transformer::Create(c, shard, k.tp > 1 ? &collectives : nullptr).value());
  if (k.tp > 1)
    ShardParams(c, shard, ref->params(), &model->params());
  else
    model->params().Initialize(c, seed);
  OptimSection o;
  AdamWOptimizer ref_opt(ref->params(), o);
  DataParallelOptions dpo;
  dpo.bucket_floats = 999;
  dpo.zero1 = k.zero1;
  GradientSync sync(g.dp.get(), &model->params(), dpo);
  AdamWOptimizer opt(model->params(), o, sync.shard_begin(), sync.shard_end());

  Rng rng(seed ^ 0x9e37);
  double worst_loss = 0;
  for (int step = 0; step < 20; ++step) {
    std::vector<testing::RandomBatch> data;
    std::vector<Batch> full, mine;
    StepParallel par;
    par.dp = &sync;
    par.world = &world;
    par.shard = shard;
    par.count_loss = g.tp_rank == 0;
    const int64_t rows = B / layout->dp, first = g.dp_rank * rows * T;
    for (int64_t a = 0; a < A; ++a) data.push_back(testing::MakeBatch(rng, B, T, c.vocab_size));
    for (auto& d : data) {
      full.push_back(Batch{B, T, d.tokens.data(), d.targets.data(), d.docs.data()});
      mine.push_back(Batch{rows, T, d.tokens.data() + first, d.targets.data() + first, d.docs.data() + first});
      for (int32_t t : d.targets) par.global_targets += t != -1;
    }
    const double lr = 1e-3, clip = 0.5;
    auto r1 = AccumulateAndStep(ref.get(), &ref_opt, full, clip, lr);
    auto r2 = k.pp > 1 ? PipelineAccumulateAndStep(model.get(), &opt, g.pp.get(), mine, clip, lr, nullptr, &par)
                       : AccumulateAndStep(model.get(), &opt, mine, clip, lr, nullptr, &par);
    ASSERT_TRUE(r1.ok() && r2.ok()) << r2.status().message();
    worst_loss = std::max(worst_loss, std::fabs(r2->loss - r1->loss));
    if (step > 0) continue;
    EXPECT_LE(std::fabs(r2->loss - r1->loss), 1e-6 * std::fabs(r1->loss));
    // The summed gradients of this rank's slice (plain) or shard (ZeRO-1),
    // assembled into the whole layout over the replica's tp x pp ranks (as
    // the trainer's checkpoints do); the ZeRO-1 shards of one data-parallel
    // group cover the store between them, so each rank checks its own.
    const ParamStore& whole = ref->params();
    std::vector<float> got(whole.size(), 0.f), mask(whole.size(), 0.f);
    ParamStore& mp = model->params();
    std::vector<float> ones(mp.size(), 0.f);
    std::fill(ones.begin() + sync.shard_begin(), ones.begin() + sync.shard_end(), 1.f);
    ASSERT_TRUE(GatherFull(c, shard, mp, mp.grad(), g.model.get(), whole, got.data()).ok());
    ASSERT_TRUE(GatherFull(c, shard, mp, ones.data(), g.model.get(), whole, mask.data()).ok());
    double all_diff = 0, all_scale = 0, worst = 0;
    for (const ParamInfo& p : whole.infos()) {
      double diff = 0, scale = 0;
      for (int64_t i = p.offset; i < p.offset + p.numel(); ++i) {
        scale = std::max(scale, std::fabs(static_cast<double>(whole.grad()[i])));
        if (mask[i] > 0) diff = std::max(diff, std::fabs(static_cast<double>(got[i]) - whole.grad()[i]));
      }
      if (scale > 0) worst = std::max(worst, diff / scale);
      EXPECT_LE(scale > 0 ? diff / scale : diff, 2e-6) << p.name << " seed " << seed;
      all_diff = std::max(all_diff, diff);
      all_scale = std::max(all_scale, scale);
    }
    EXPECT_LE(all_diff / all_scale, 1e-6) << "seed " << seed;
    if (world.rank() == 0)
      std::printf("%s dp=%lld tp=%lld pp=%lld%s: seed %llu, first-step loss %.8f vs %.8f, grad rel diff %.2e "
                  "overall, %.2e worst tensor\n",
                  k.family, (long long)layout->dp, (long long)k.tp, (long long)k.pp, k.zero1 ? " zero1" : "",
                  (unsigned long long)seed, r2->loss, r1->loss, all_diff / all_scale, worst);
  }
  EXPECT_LE(worst_loss, 1e-4);
  if (world.rank() == 0) std::printf("  20 steps: max |loss diff| %.2e\n", worst_loss);
}

INSTANTIATE_TEST_SUITE_P(Layouts, GridTest,
                         ::testing::Values(Case{"gpt2", 2, 1, false}, Case{"llama", 2, 1, true},
                                           Case{"gpt2", 1, 2, false}, Case{"llama", 1, 2, true},
                                           Case{"gpt2", 2, 2, false}, Case{"llama", 2, 2, false}),
                         [](const auto& info) {
                           const Case& k = info.param;
                           return std::string(k.family) + "_tp" + std::to_string(k.tp) + "_pp" +
                                  std::to_string(k.pp) + (k.zero1 ? "_zero1" : "");
                         });

}  // namespace
}  // namespace seek
