// Tensor parallelism (model/tensor_parallel.h) against the single process:
// tp ranks run as threads (tp_test_util.h), so the math is checked without MPI.
#include "model/tensor_parallel.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "model/transformer.h"
#include "model_test_util.h"
#include "tp_test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::MakeBatch;
using testing::MaxRelDiff;
using testing::ThreadTpCollectives;
using testing::ThreadTpGroup;
using testing::TinyConfig;
using testing::TinyTpConfig;

// tp model shards of one full model, on threads.
struct TpRun {
  ThreadTpGroup group;
  std::vector<std::unique_ptr<ThreadTpCollectives>> collectives;
  std::vector<std::unique_ptr<Transformer>> ranks;

  TpRun(const ModelConfig& c, int tp, const ParamStore& full) : group(tp) {
    for (int r = 0; r < tp; ++r) {
      collectives.push_back(std::make_unique<ThreadTpCollectives>(&group, r));
      ModelShard shard;
      shard.tp_rank = r;
      shard.tp_size = tp;
      auto m = Transformer::Create(c, shard, collectives.back().get());
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      ranks.push_back(std::move(m.value()));
      ShardParams(c, shard, full, &ranks.back()->params());
      ranks.back()->params().ZeroGrad();
    }
  }
  // ForwardBackward on every rank; the losses (equal on every rank) of rank 0.
  LossResult Step(const Batch& b) {
    std::vector<LossResult> losses(ranks.size());
    group.Run([&](int r) {
      auto l = ranks[r]->ForwardBackward(b);
      EXPECT_TRUE(l.ok()) << l.status().ToString();
      losses[r] = l.value();
    });
    for (const LossResult& l : losses) EXPECT_EQ(l.loss_sum, losses[0].loss_sum);
    return losses[0];
  }
  // The ranks' gradients in the full layout (replicated ones from rank 0).
  std::vector<float> GatherGrads(const ModelConfig& c, const ParamStore& full) {
    std::vector<float> out(full.size(), 0.f);
    for (size_t r = 0; r < ranks.size(); ++r)
      WriteShardIntoFull(c, ranks[r]->shard(), ranks[r]->params(), ranks[r]->params().grad(), full,
                         out.data(), /*write_replicated=*/r == 0);
    return out;
  }
};

TEST(TensorParallel, ShardThenGatherGivesTheFullModel) {
  for (const char* family : {"gpt2", "llama"}) {
    ModelConfig c = TinyTpConfig(family);
    ParamStore full(c);
    full.Initialize(c, FreshSeed());
    for (int tp : {1, 2, 4}) {
      if (c.n_kv_head % tp) continue;
      std::vector<float> gathered(full.size(), 0.f);
      int64_t local_params = 0;
      for (int r = 0; r < tp; ++r) {
        ModelShard s;
        s.tp_rank = r;
        s.tp_size = tp;
        ParamStore local(c, s);
        EXPECT_EQ(local.infos().size(), full.infos().size());
        ShardParams(c, s, full, &local);
        WriteShardIntoFull(c, s, local, local.data(), full, gathered.data(), r == 0);
        for (const ParamInfo& p : local.infos())
          if (r == 0 || !TpReplicated(p.name)) local_params += p.numel();
      }
      const int64_t pad = TpVocabRange(c, ModelShard{0, tp}).local * tp - c.vocab_size;
      const int64_t vocab_tensors = c.tie_embeddings ? 1 : 2;
      EXPECT_EQ(local_params, full.num_params() + pad * c.hidden * vocab_tensors)
          << family << " tp " << tp;
      for (const ParamInfo& p : full.infos())
        for (int64_t i = 0; i < p.numel(); ++i)
          ASSERT_EQ(gathered[p.offset + i], full.data()[p.offset + i])
              << family << " tp " << tp << " " << p.name << "[" << i << "]";
    }
  }
}

// tp = 1 is the whole model: the same layout and bitwise the same step.
TEST(TensorParallel, SizeOneIsTheWholeModel) {
  for (const char* family : {"gpt2", "llama"}) {
    ModelConfig c = TinyTpConfig(family);
    const auto whole = ParamStore::Layout(c), one = ParamStore::Layout(c, ModelShard{});
    ASSERT_EQ(whole.size(), one.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(whole[i].name, one[i].name);
      EXPECT_EQ(whole[i].offset, one[i].offset);
      EXPECT_EQ(whole[i].numel(), one[i].numel());
    }
    const uint64_t seed = FreshSeed();
    auto a = std::move(Transformer::Create(c).value());
    auto b = std::move(Transformer::Create(c, ModelShard{}, nullptr).value());
    a->params().Initialize(c, seed);
    ShardParams(c, ModelShard{}, a->params(), &b->params());
    a->params().ZeroGrad();
    b->params().ZeroGrad();
    Rng rng(seed);
    auto rb = MakeBatch(rng, 2, 11, c.vocab_size);
    Batch batch{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
    EXPECT_EQ(a->ForwardBackward(batch).value().loss_sum,
              b->ForwardBackward(batch).value().loss_sum);
    for (const ParamInfo& p : a->params().infos())
      for (int64_t i = 0; i < p.numel(); ++i)
        ASSERT_EQ(a->params().grad()[p.offset + i], b->params().grad()[p.offset + i]) << p.name;
  }
}

TEST(TensorParallel, RejectsSizesThatDoNotDivide) {
  ModelConfig c = TinyTpConfig("llama");  // 4 heads, 2 KV heads, intermediate 48
  auto kv = Transformer::Create(c, ModelShard{0, 4}, nullptr);
  ASSERT_FALSE(kv.ok());
  EXPECT_NE(kv.status().message().find("n_kv_head = 2"), std::string::npos)
      << kv.status().ToString();
  auto heads = Transformer::Create(c, ModelShard{0, 3}, nullptr);
  ASSERT_FALSE(heads.ok());
  EXPECT_NE(heads.status().message().find("n_head = 4"), std::string::npos);
  c.intermediate = 49;
  auto inner = Transformer::Create(c, ModelShard{1, 2}, nullptr);
  ASSERT_FALSE(inner.ok());
  EXPECT_NE(inner.status().message().find("intermediate = 49"), std::string::npos);
  auto rank = Transformer::Create(TinyTpConfig("gpt2"), ModelShard{2, 2}, nullptr);
  EXPECT_FALSE(rank.ok());
  auto no_group = Transformer::Create(TinyTpConfig("gpt2"), ModelShard{0, 2}, nullptr);
  EXPECT_FALSE(no_group.ok());
}

// The acceptance check: the first step's loss and every gradient equal the
// single process's within 1e-6 relative (per tensor, relative to its largest
// element), and each attention and MLP makes one all-reduce each way.
TEST(TensorParallel, FirstStepEqualsSingleProcess) {
  // "gpt2-v5": vocabulary 5 at tp 4 gives the ranks 2, 2, 1 and 0 real rows.
  for (std::string family : {"gpt2", "llama", "gpt2-v5"}) {
    for (int tp : {2, 4}) {
      ModelConfig c = TinyTpConfig(family == "gpt2-v5" ? "gpt2" : family);
      if (family == "gpt2-v5") c.vocab_size = 5;
      if (c.n_kv_head % tp) continue;
      const uint64_t seed = FreshSeed();
      std::printf("%s tp=%d seed %llu\n", family.c_str(), tp,
                  static_cast<unsigned long long>(seed));
      auto single = std::move(Transformer::Create(c).value());
      single->params().Initialize(c, seed);
      single->params().ZeroGrad();
      Rng rng(seed);
      auto rb = MakeBatch(rng, 2, 23, c.vocab_size);
      Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
      const LossResult ref = single->ForwardBackward(b).value();

      TpRun run(c, tp, single->params());
      const LossResult got = run.Step(b);
      EXPECT_EQ(got.n_targets, ref.n_targets);
      const double loss_rel = std::fabs(got.loss_sum - ref.loss_sum) / std::fabs(ref.loss_sum);
      EXPECT_LE(loss_rel, 1e-6) << family << " tp " << tp << " seed " << seed;

      // Per tensor, |a - b| <= tol * max |ref|: 1e-6 over the whole gradient
      // (the acceptance bound) and 2e-6 per tensor. Reassociating f32 sums
      // (a row-parallel product's partials summed across ranks) moves small
      // tensors whose gradient is a cancelling sum over tokens (the norms'
      // biases) by up to ~1.2e-6 of their largest element (150 runs);
      // reordering the batch's rows moves one process by ~4e-7.
      const ParamStore& fp = single->params();
      std::vector<float> grads = run.GatherGrads(c, fp);
      double worst = 0, all_diff = 0, all_scale = 0;
      std::string worst_name;
      for (const ParamInfo& p : fp.infos()) {
        const float* a = grads.data() + p.offset;
        const float* z = fp.grad() + p.offset;
        const double d = MaxRelDiff(a, z, p.numel());
        EXPECT_LE(d, 2e-6) << family << " tp " << tp << " " << p.name << " seed " << seed;
        if (d > worst) worst = d, worst_name = p.name;
        for (int64_t i = 0; i < p.numel(); ++i) {
          all_diff = std::max(all_diff, std::fabs(static_cast<double>(a[i]) - z[i]));
          all_scale = std::max(all_scale, std::fabs(static_cast<double>(z[i])));
        }
        if (!TpReplicated(p.name)) continue;
        for (int r = 1; r < tp; ++r)  // replicated gradients: the same on every rank
          EXPECT_LE(MaxRelDiff(run.ranks[r]->params().Grad(p.name), z, p.numel()), 2e-6)
              << family << " rank " << r << " " << p.name;
      }
      EXPECT_LE(all_diff / all_scale, 1e-6) << family << " tp " << tp << " seed " << seed;
      std::printf(
          "  loss rel diff %.3g, grad rel diff %.3g overall, %.3g in the worst tensor (%s)\n",
          loss_rel, all_diff / all_scale, worst, worst_name.c_str());
      // embedding 1 + 2 per block forward, cross-entropy 2, LM head 1 + 2 per block backward.
      EXPECT_EQ(run.group.calls(0), 1 + 2 * c.n_layer + 2 + 1 + 2 * c.n_layer);
    }
  }
}

// 20 SGD steps on fresh batches: the losses follow the single process's.
TEST(TensorParallel, TwentyStepsFollowSingleProcess) {
  for (const char* family : {"gpt2", "llama"}) {
    const int tp = 2;
    ModelConfig c = TinyTpConfig(family);
    const uint64_t seed = FreshSeed();
    std::printf("%s seed %llu\n", family, static_cast<unsigned long long>(seed));
    auto single = std::move(Transformer::Create(c).value());
    single->params().Initialize(c, seed);
    TpRun run(c, tp, single->params());
    Rng rng(seed);
    const float lr = 0.05f;
    auto sgd = [&](ParamStore& p) {
      for (int64_t i = 0; i < p.size(); ++i) p.data()[i] -= lr * p.grad()[i];
      p.ZeroGrad();
    };
    double worst = 0;
    for (int step = 0; step < 20; ++step) {
      auto rb = MakeBatch(rng, 2, 17, c.vocab_size);
      Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
      single->params().ZeroGrad();
      const double ref = single->ForwardBackward(b).value().mean();
      const double got = run.Step(b).mean();
      worst = std::max(worst, std::fabs(got - ref));
      EXPECT_NEAR(got, ref, 1e-4) << family << " step " << step << " seed " << seed;
      sgd(single->params());
      for (auto& m : run.ranks) sgd(m->params());
    }
    std::printf("  max |loss diff| over 20 steps %.3g\n", worst);
  }
}

// Activation checkpointing re-runs blocks (and their all-reduces) in backward:
// the gradients are bitwise those without it.
TEST(TensorParallel, RecomputeChangesNoNumber) {
  ModelConfig c = TinyTpConfig("llama");
  ParamStore full(c);
  full.Initialize(c, FreshSeed());
  Rng rng(FreshSeed());
  auto rb = MakeBatch(rng, 2, 19, c.vocab_size);
  Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
  TpRun plain(c, 2, full);
  const double loss = plain.Step(b).loss_sum;
  for (Recompute mode : {Recompute::kFull, Recompute::kSelective}) {
    TpRun recomputed(c, 2, full);
    for (auto& m : recomputed.ranks) {
      RecomputeConfig rc;
      rc.mode = mode;
      rc.every = 1;
      ASSERT_TRUE(m->SetRecompute(rc).ok());
    }
    EXPECT_EQ(recomputed.Step(b).loss_sum, loss);
    for (int r = 0; r < 2; ++r) {
      const ParamStore& a = plain.ranks[r]->params();
      const ParamStore& z = recomputed.ranks[r]->params();
      for (const ParamInfo& p : a.infos())
        for (int64_t i = 0; i < p.numel(); ++i)
          ASSERT_EQ(a.grad()[p.offset + i], z.grad()[p.offset + i]) << p.name << "[" << i << "]";
    }
  }
}

// Mixed precision keeps working under TP: the 16-bit copies of a rank's
// weights are slices of the single process's, so only the f32 partial sums
// of the row-parallel layers differ.
TEST(TensorParallel, Bf16FollowsSingleProcess) {
  for (const char* family : {"gpt2", "llama"}) {
    ModelConfig c = TinyTpConfig(family);
    const uint64_t seed = FreshSeed();
    auto single = std::move(Transformer::Create(c).value());
    single->params().Initialize(c, seed);
    single->params().ZeroGrad();
    single->SetPrecision(Precision::kBf16);
    Rng rng(seed);
    auto rb = MakeBatch(rng, 2, 13, c.vocab_size);
    Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
    const LossResult ref = single->ForwardBackward(b).value();
    TpRun run(c, 2, single->params());
    for (auto& m : run.ranks) m->SetPrecision(Precision::kBf16);
    const LossResult got = run.Step(b);
    EXPECT_NEAR(got.loss_sum / ref.loss_sum, 1.0, 1e-3) << family << " seed " << seed;
    std::vector<float> grads = run.GatherGrads(c, single->params());
    double worst = 0;
    for (const ParamInfo& p : single->params().infos())
      worst = std::max(worst, MaxRelDiff(grads.data() + p.offset,
                                         single->params().grad() + p.offset, p.numel()));
    EXPECT_LE(worst, 1e-2) << family << " seed " << seed;
    std::printf("%s bf16: loss ratio - 1 = %.3g, max grad rel diff %.3g\n", family,
                got.loss_sum / ref.loss_sum - 1, worst);
  }
}

}  // namespace
}  // namespace seek
