// Tensor parallelism over MPI (train/dist/tensor_parallel.h): every rank
// also runs the single-process model as the reference. TP groups of 2 (two
// groups under -np 4) for both families, and one group of 4 for gpt2-like.
// Vocabulary 97 divides by neither.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "dist/dist_test_util.h"
#include "model/model_test_util.h"
#include "model/tp_test_util.h"
#include "model/transformer.h"
#include "train/dist/tensor_parallel.h"
#include "train/step.h"

namespace seek {
namespace {

using testing::MakeBatch;
using testing::MaxRelDiff;
using testing::TinyTpConfig;

using testing::SharedSeed;
using testing::World;

struct Case {
  const char* family;
  int tp;
};

// One case on this rank: its TP group of `tp` consecutive world ranks, the
// group's collectives and this rank's shard, with a seed all ranks share;
// the single-process model initialised from it and this rank's TP model
// holding its slice of the same weights.
struct TpSetup {
  ModelConfig c;
  uint64_t seed;
  std::unique_ptr<Communicator> group;
  std::unique_ptr<CommunicatorTpCollectives> collectives;
  ModelShard shard;
  std::unique_ptr<Transformer> single, tp;

  TpSetup(Communicator& world, const Case& k) : c(TinyTpConfig(k.family)), seed(SharedSeed(world)) {
    auto g = world.Split(world.rank() / k.tp, world.rank());
    EXPECT_TRUE(g.ok()) << g.status().message();
    group = std::move(*g);
    group->set_timeout_s(120);
    collectives = std::make_unique<CommunicatorTpCollectives>(group.get());
    shard.tp_rank = group->rank();
    shard.tp_size = k.tp;
    single = std::move(Transformer::Create(c).value());
    single->params().Initialize(c, seed);
    tp = std::move(Transformer::Create(c, shard, collectives.get()).value());
    ShardParams(c, shard, single->params(), &tp->params());
  }
};

std::vector<Case> Cases(int world) {
  std::vector<Case> out;
  if (world % 2 == 0) out = {{"gpt2", 2}, {"llama", 2}};
  if (world == 4) out.push_back({"gpt2", 4});
  return out;
}

TEST(TensorParallelMpi, FirstStepEqualsSingleProcess) {
  auto world = World();
  if (Cases(world->size()).empty()) GTEST_SKIP() << "needs an even number of ranks";
  for (const Case& k : Cases(world->size())) {
    TpSetup setup(*world, k);
    auto& [c, seed, group, collectives, shard, single, tp] = setup;

    single->params().ZeroGrad();
    Rng rng(seed);
    auto rb = MakeBatch(rng, 2, 21, c.vocab_size);
    Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
    const LossResult ref = single->ForwardBackward(b).value();

    tp->params().ZeroGrad();
    auto got = tp->ForwardBackward(b);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const double loss_rel = std::fabs(got->loss_sum - ref.loss_sum) / std::fabs(ref.loss_sum);
    EXPECT_LE(loss_rel, 1e-6) << k.family << " tp " << k.tp << " seed " << seed;

    const ParamStore& fp = single->params();
    std::vector<float> grads(fp.size(), 0.f);
    WriteShardIntoFull(c, shard, tp->params(), tp->params().grad(), fp, grads.data(),
                       shard.tp_rank == 0);
    ASSERT_TRUE(group->AllReduceSum(grads.data(), fp.size()).ok());
    // As tests/model/tensor_parallel_test.cc: 1e-6 of the largest gradient
    // overall, 2e-6 of each tensor's largest (f32 reassociation moves the
    // norms' small, cancelling bias gradients by up to ~1.2e-6).
    double worst = 0, all_diff = 0, all_scale = 0;
    for (const ParamInfo& p : fp.infos()) {
      const float* a = grads.data() + p.offset;
      const float* z = fp.grad() + p.offset;
      const double d = MaxRelDiff(a, z, p.numel());
      EXPECT_LE(d, 2e-6) << k.family << " tp " << k.tp << " " << p.name << " seed " << seed;
      worst = std::max(worst, d);
      for (int64_t i = 0; i < p.numel(); ++i) {
        all_diff = std::max(all_diff, std::fabs(static_cast<double>(a[i]) - z[i]));
        all_scale = std::max(all_scale, std::fabs(static_cast<double>(z[i])));
      }
      if (TpReplicated(p.name)) {  // this rank's own copy, too
        EXPECT_LE(MaxRelDiff(tp->params().Grad(p.name), z, p.numel()), 2e-6)
            << k.family << " rank " << shard.tp_rank << " " << p.name;
      }
    }
    EXPECT_LE(all_diff / all_scale, 1e-6) << k.family << " tp " << k.tp << " seed " << seed;
    ParamStore gathered(c);
    ASSERT_TRUE(GatherFullParams(c, shard, tp->params(), group.get(), &gathered).ok());
    for (const ParamInfo& p : fp.infos())
      for (int64_t i = 0; i < p.numel(); ++i)
        ASSERT_EQ(gathered.data()[p.offset + i], fp.data()[p.offset + i])
            << p.name << "[" << i << "]";
    if (world->rank() == 0)
      std::printf(
          "%s tp=%d: loss rel diff %.3g, grad rel diff %.3g overall, %.3g in the worst "
          "tensor\n",
          k.family, k.tp, loss_rel, all_diff / all_scale, worst);
  }
}

// 20 AdamW steps with global-norm clipping through the trainer's step
// (AccumulateAndStep with StepParallel) on fresh batches: losses within
// 1e-4 of the single process, norms within 1e-5.
TEST(TensorParallelMpi, TwentyAdamWStepsFollowSingleProcess) {
  auto world = World();
  if (Cases(world->size()).empty()) GTEST_SKIP() << "needs an even number of ranks";
  for (const Case& k : Cases(world->size())) {
    TpSetup setup(*world, k);
    auto& [c, seed, group, collectives, shard, single, tp] = setup;
    OptimSection opt;
    opt.grad_clip = 0.5;  // small enough to clip: the global norm matters
    AdamWOptimizer single_opt(single->params(), opt), tp_opt(tp->params(), opt);
    Rng rng(seed);
    double worst = 0, worst_norm = 0;
    for (int step = 0; step < 20; ++step) {
      auto rb = MakeBatch(rng, 2, 15, c.vocab_size);
      Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
      StepParallel par;
      par.world = group.get();
      par.shard = shard;
      par.count_loss = shard.tp_rank == 0;
      for (int32_t t : rb.targets) par.global_targets += t != -1;
      auto ref = AccumulateAndStep(single.get(), &single_opt, {b}, opt.grad_clip, 1e-3);
      auto got = AccumulateAndStep(tp.get(), &tp_opt, {b}, opt.grad_clip, 1e-3, nullptr, &par);
      ASSERT_TRUE(ref.ok() && got.ok()) << got.status().ToString();
      worst = std::max(worst, std::fabs(got->loss - ref->loss));
      EXPECT_NEAR(got->loss, ref->loss, 1e-4) << k.family << " step " << step << " seed " << seed;
      worst_norm = std::max(worst_norm, std::fabs(got->grad_norm - ref->grad_norm) / ref->grad_norm);
    }
    EXPECT_LE(worst_norm, 1e-5);
    if (world->rank() == 0)
      std::printf("%s tp=%d: max |loss diff| over 20 steps %.3g, max norm rel diff %.3g\n",
                  k.family, k.tp, worst, worst_norm);
  }
}

// An overflow on one rank makes every rank's norm non-finite (fp16 loss
// scaling then skips the step on the whole group).
TEST(TensorParallelMpi, OverflowOnOneRankIsSeenByAll) {
  auto world = World();
  if (world->size() % 2) GTEST_SKIP() << "needs an even number of ranks";
  TpSetup setup(*world, Case{"llama", 2});
  const ModelShard& shard = setup.shard;
  ParamStore local(setup.c, shard);
  local.ZeroGrad();
  local.Grad("layers.1.mlp.down.weight")[3] = 1.f;
  if (shard.tp_rank == 1) local.Grad("layers.0.attn.qkv.weight")[7] = INFINITY;
  StepParallel par;
  par.world = setup.group.get();
  par.shard = shard;
  double sums[2];
  ASSERT_TRUE(SumOverJob(par, local, 1.0, sums).ok());
  EXPECT_FALSE(std::isfinite(sums[1])) << "rank " << shard.tp_rank;
}

}  // namespace
}  // namespace seek
