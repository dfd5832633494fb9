// Pipeline parallelism (train/dist/pipeline.h) under mpirun: pp = world size
// stages equal the single process (AccumulateAndStep, run on every rank as
// the reference) — the first step's loss and every gradient within 1e-6
// relative, 20 AdamW steps' losses within 1e-4. Fresh random weights and
// batches each run (the seed is printed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "dist/dist_test_util.h"
#include "model/model_test_util.h"
#include "train/dist/pipeline.h"
#include "train/step.h"

namespace seek {
namespace {

using testing::SharedSeed;
std::unique_ptr<Communicator> PipeWorld() { return testing::World(); }

double MaxOverRanks(Communicator& c, double v) {
  return c.AllReduceMax(v).value();
}

struct StageRun {
  std::unique_ptr<Transformer> model;
  std::unique_ptr<AdamWOptimizer> opt;
};

StageRun Make(const ModelConfig& c, const ModelShard& shard, uint64_t seed, const OptimSection& o) {
  StageRun r;
  r.model = std::move(Transformer::Create(c, shard).value());
  r.model->params().Initialize(c, seed);
  r.opt = std::make_unique<AdamWOptimizer>(r.model->params(), o);
  return r;
}

// pp = world size stages vs the single process, m micro-batches of [2, 8].
// keep: as many activation slots as micro-batches in flight (no recompute).
void ExpectPipelineEqualsSingleProcess(const ModelConfig& c, int m, bool keep) {
  auto world = PipeWorld();
  const uint64_t seed = SharedSeed(*world);
  const int pp = world->size(), stage = world->rank();
  OptimSection o;
  o.grad_clip = 0.5;  // low enough that some steps clip
  const double lr = 3e-3;
  StageRun ref = Make(c, ModelShard{}, seed, o);
  StageRun pipe = Make(c, PipelineStageShard(c, pp, stage).value(), seed, o);
  if (keep) {
    ASSERT_TRUE(pipe.model->SetActivationSlots(OneFOneBInFlight(pp, stage, m)).ok());
  }
  Rng rng(seed + 17);
  double max_grad_rel = 0, max_loss_diff = 0, first_loss_rel = 0;
  int clipped = 0;
  for (int step = 0; step < 20; ++step) {
    std::vector<testing::RandomBatch> data;
    std::vector<Batch> mbs;
    for (int i = 0; i < m; ++i) data.push_back(testing::MakeBatch(rng, 2, 8, c.vocab_size));
    for (auto& d : data)
      mbs.push_back(Batch{d.B, d.T, d.tokens.data(), d.targets.data(), d.docs.data()});
    StepResult want =
        AccumulateAndStep(ref.model.get(), ref.opt.get(), mbs, o.grad_clip, lr).value();
    StatusOr<StepResult> got = PipelineAccumulateAndStep(pipe.model.get(), pipe.opt.get(),
                                                         world.get(), mbs, o.grad_clip, lr);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(got->n_targets, want.n_targets);
    clipped += want.grad_norm > o.grad_clip;
    max_loss_diff = std::max(max_loss_diff, std::fabs(got->loss - want.loss));
    // Bitwise-equal untied runs; tied ones sum the embedding's gradient in
    // another order, and AdamW lets such last-bit differences grow a little.
    EXPECT_NEAR(got->grad_norm, want.grad_norm, (step ? 1e-3 : 1e-6) * want.grad_norm)
        << "step " << step;
    if (step > 0) continue;
    first_loss_rel = std::fabs(got->loss - want.loss) / std::fabs(want.loss);
    EXPECT_LE(first_loss_rel, 1e-6);
    // Every gradient, gathered by name into the whole layout on rank 0,
    // against the single process's (gradients survive the optimizer step).
    ParamStore gathered(c);
    gathered.ZeroGrad();
    ASSERT_TRUE(GatherStagesByName(c, pipe.model->params(), /*gradients=*/true, world.get(), 0,
                                   stage == 0 ? &gathered : nullptr)
                    .ok());
    if (stage != 0) continue;
    for (const ParamInfo& p : gathered.infos()) {
      const float* a = gathered.Grad(p.name);
      const float* b = ref.model->params().Grad(p.name);
      double max_ref = 0, max_diff = 0;
      for (int64_t i = 0; i < p.numel(); ++i) {
        max_ref = std::max(max_ref, std::fabs(double(b[i])));
        max_diff = std::max(max_diff, std::fabs(double(a[i]) - b[i]));
      }
      EXPECT_GT(max_ref, 0) << p.name;
      EXPECT_LE(max_diff, 1e-6 * max_ref) << p.name;
      max_grad_rel = std::max(max_grad_rel, max_ref > 0 ? max_diff / max_ref : max_diff);
    }
  }
  EXPECT_LE(max_loss_diff, 1e-4);
  // The tied copies stayed bitwise equal through 20 updates.
  if (c.tie_embeddings && (stage == 0 || stage == pp - 1)) {
    const int64_t n = c.vocab_size * c.hidden;
    const float* mine = pipe.model->params().Param("embed.tokens");
    if (stage == 0) {
      ASSERT_TRUE(world->Send(mine, n * 4, pp - 1, 1).ok());
    } else {
      std::vector<float> first(n);
      ASSERT_TRUE(world->Recv(first.data(), n * 4, 0, 1).ok());
      EXPECT_TRUE(std::equal(first.begin(), first.end(), mine));
    }
  }
  max_grad_rel = MaxOverRanks(*world, max_grad_rel);
  max_loss_diff = MaxOverRanks(*world, max_loss_diff);
  if (stage == 0)
    std::printf(
        "pp %d m %d %s %s: first-step loss rel diff %.3g, max grad |diff|/max|ref| %.3g, "
        "max loss diff over 20 steps %.3g (%d steps clipped)\n",
        pp, m, c.tie_embeddings ? "tied" : "untied", keep ? "slots" : "recompute", first_loss_rel,
        max_grad_rel, max_loss_diff, clipped);
}

TEST(PipelineMpi, Gpt2LikeEqualsSingleProcess) {
  auto world = PipeWorld();
  if (world->size() != 2 && world->size() != 4) GTEST_SKIP() << "needs 2 or 4 ranks";
  ModelConfig c = testing::TinyConfig("gpt2", true, 4);  // tied, learned positions, LayerNorm, GELU
  ASSERT_TRUE(c.tie_embeddings);
  for (bool keep : {false, true}) ExpectPipelineEqualsSingleProcess(c, 4, keep);
}

TEST(PipelineMpi, LlamaLikeEqualsSingleProcess) {
  auto world = PipeWorld();
  if (world->size() != 2 && world->size() != 4) GTEST_SKIP() << "needs 2 or 4 ranks";
  ModelConfig c = testing::TinyConfig("llama", false, 4);  // RoPE, RMSNorm, SwiGLU, untied
  for (bool keep : {false, true}) ExpectPipelineEqualsSingleProcess(c, 4, keep);
}

// Fewer micro-batches than stages (all warm-up) and a tied llama.
TEST(PipelineMpi, FewMicroBatchesAndTiedLlama) {
  auto world = PipeWorld();
  if (world->size() != 4) GTEST_SKIP() << "needs 4 ranks";
  for (bool keep : {false, true})
    ExpectPipelineEqualsSingleProcess(testing::TinyConfig("llama", true, 5), 2, keep);
}

TEST(PipelineMpi, FewerLayersThanStagesIsAnError) {
  auto world = PipeWorld();
  if (world->size() < 2) GTEST_SKIP() << "needs 2 or more ranks";
  ModelConfig c = testing::TinyConfig("llama", false, 1);
  StatusOr<ModelShard> s = PipelineStageShard(c, world->size(), world->rank());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("fewer than the"), std::string::npos) << s.status().message();
  // A model built for another split is refused before any message is sent.
  ModelConfig c2 = testing::TinyConfig("llama", false, 2 * world->size());
  auto whole = std::move(Transformer::Create(c2).value());
  AdamWOptimizer opt(whole->params(), OptimSection{});
  StatusOr<StepResult> r = PipelineAccumulateAndStep(whole.get(), &opt, world.get(), {}, 1.0, 1e-3);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected"), std::string::npos) << r.status().message();
}

// bf16, and fp16 with a loss scaler starting far too high (overflowing
// steps are skipped on every stage alike, the global norm being one number):
// the same losses, overflow decisions and scales as the single process.
TEST(PipelineMpi, MixedPrecisionAndLossScalingFollowTheSingleProcess) {
  auto world = PipeWorld();
  if (world->size() < 2) GTEST_SKIP() << "needs 2 or more ranks";
  const uint64_t seed = SharedSeed(*world);
  ModelConfig c = testing::TinyConfig("llama", false, world->size());
  for (Precision precision : {Precision::kBf16, Precision::kF16}) {
    StageRun ref = Make(c, ModelShard{}, seed, OptimSection{});
    StageRun pipe =
        Make(c, PipelineStageShard(c, world->size(), world->rank()).value(), seed, OptimSection{});
    ref.model->SetPrecision(precision);
    pipe.model->SetPrecision(precision);
    LossScalerOptions lo;
    lo.initial_scale = std::ldexp(1.0, 30);
    lo.hysteresis = 1;
    DynamicLossScaler ref_scaler(lo), pipe_scaler(lo);
    const bool fp16 = precision == Precision::kF16;
    Rng rng(seed + 5);
    int overflows = 0;
    for (int step = 0; step < 12; ++step) {
      std::vector<testing::RandomBatch> data;
      std::vector<Batch> mbs;
      for (int i = 0; i < 3; ++i) data.push_back(testing::MakeBatch(rng, 2, 8, c.vocab_size));
      for (auto& d : data)
        mbs.push_back(Batch{d.B, d.T, d.tokens.data(), d.targets.data(), d.docs.data()});
      StepResult want = AccumulateAndStep(ref.model.get(), ref.opt.get(), mbs, 1.0, 1e-3,
                                          fp16 ? &ref_scaler : nullptr)
                            .value();
      StepResult got = PipelineAccumulateAndStep(pipe.model.get(), pipe.opt.get(), world.get(), mbs,
                                                 1.0, 1e-3, fp16 ? &pipe_scaler : nullptr)
                           .value();
      EXPECT_NEAR(got.loss, want.loss, 1e-6 * want.loss) << "step " << step;
      EXPECT_EQ(got.overflow, want.overflow) << "step " << step;
      EXPECT_EQ(got.finite, want.finite) << "step " << step;
      EXPECT_EQ(got.loss_scale, want.loss_scale) << "step " << step;
      overflows += got.overflow;
    }
    if (fp16) {
      EXPECT_GT(overflows, 0) << "the test should exercise skipped steps";
    }
  }
}

// Micro-batches of different shapes (the stage reallocates its activations
// between a forward and a later recompute): still the single process's step.
TEST(PipelineMpi, MicroBatchesOfDifferentShapes) {
  auto world = PipeWorld();
  if (world->size() < 2) GTEST_SKIP() << "needs 2 or more ranks";
  const uint64_t seed = SharedSeed(*world);
  ModelConfig c = testing::TinyConfig("gpt2", true, world->size());
  StageRun ref = Make(c, ModelShard{}, seed, OptimSection{});
  StageRun pipe =
      Make(c, PipelineStageShard(c, world->size(), world->rank()).value(), seed, OptimSection{});
  Rng rng(seed + 3);
  std::vector<testing::RandomBatch> data;
  std::vector<Batch> mbs;
  for (int i = 0; i < 5; ++i)
    data.push_back(testing::MakeBatch(rng, 1 + i % 2, 5 + 3 * i, c.vocab_size));
  for (auto& d : data)
    mbs.push_back(Batch{d.B, d.T, d.tokens.data(), d.targets.data(), d.docs.data()});
  StepResult want = AccumulateAndStep(ref.model.get(), ref.opt.get(), mbs, 1.0, 1e-3).value();
  StepResult got =
      PipelineAccumulateAndStep(pipe.model.get(), pipe.opt.get(), world.get(), mbs, 1.0, 1e-3)
          .value();
  EXPECT_NEAR(got.loss, want.loss, 1e-6 * want.loss);
  EXPECT_NEAR(got.grad_norm, want.grad_norm, 1e-6 * want.grad_norm);
}

// A bad micro-batch is refused on every stage before any message (no rank
// is left waiting).
TEST(PipelineMpi, BadMicroBatchIsAnErrorOnEveryStage) {
  auto world = PipeWorld();
  if (world->size() < 2) GTEST_SKIP() << "needs 2 or more ranks";
  ModelConfig c = testing::TinyConfig("llama", false, world->size());
  StageRun pipe =
      Make(c, PipelineStageShard(c, world->size(), world->rank()).value(), 1, OptimSection{});
  Rng rng(SharedSeed(*world));
  std::vector<testing::RandomBatch> data;
  std::vector<Batch> mbs;
  for (int i = 0; i < 3; ++i) data.push_back(testing::MakeBatch(rng, 1, 8, c.vocab_size));
  data[2].tokens[5] = static_cast<int32_t>(c.vocab_size);
  for (auto& d : data)
    mbs.push_back(Batch{d.B, d.T, d.tokens.data(), d.targets.data(), d.docs.data()});
  StatusOr<StepResult> r =
      PipelineAccumulateAndStep(pipe.model.get(), pipe.opt.get(), world.get(), mbs, 1.0, 1e-3);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("outside the vocabulary"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(world->Barrier().ok());
}

}  // namespace
}  // namespace seek
