// Pipeline stages (ModelShard layer ranges) chained in one process equal the
// whole model: the same parameters by name, the same loss, the same
// gradients. The distributed schedule is tested in tests/dist/.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "model/transformer.h"
#include "model_test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::MakeBatch;
using testing::TinyConfig;

TEST(ParamStore, StageLayoutsHoldTheirLayersUnderGlobalNames) {
  ModelConfig c = TinyConfig("gpt2", false, 4);  // gpt2 ties its embeddings
  ParamStore first(c, ModelShard{0, 1, 0, 2}), last(c, ModelShard{0, 1, 2, 4});
  EXPECT_NE(first.Find("embed.tokens"), nullptr);
  EXPECT_NE(first.Find("embed.positions"), nullptr);
  EXPECT_NE(first.Find("layers.1.mlp.up.weight"), nullptr);
  EXPECT_EQ(first.Find("layers.2.mlp.up.weight"), nullptr);
  EXPECT_EQ(first.Find("norm_f.weight"), nullptr);
  EXPECT_TRUE(first.tied_duplicates().empty());
  EXPECT_NE(last.Find("embed.tokens"), nullptr);  // the tied head's own copy
  EXPECT_EQ(last.Find("embed.positions"), nullptr);
  EXPECT_EQ(last.Find("layers.1.norm1.weight"), nullptr);
  EXPECT_NE(last.Find("layers.3.norm1.weight"), nullptr);
  EXPECT_NE(last.Find("norm_f.weight"), nullptr);
  EXPECT_EQ(last.tied_duplicates(), std::vector<std::string>{"embed.tokens"});
  // Untied (llama): the last stage has lm_head and no embedding.
  ModelConfig u = TinyConfig("llama", false, 4);
  ParamStore ulast(u, ModelShard{0, 1, 2, -1});
  EXPECT_EQ(ulast.Find("embed.tokens"), nullptr);
  EXPECT_NE(ulast.Find("lm_head.weight"), nullptr);
  EXPECT_TRUE(ulast.tied_duplicates().empty());
  // Every tensor of the whole model is on some stage; initialised identically.
  const uint64_t seed = FreshSeed();
  ParamStore whole(c);
  whole.Initialize(c, seed);
  first.Initialize(c, seed);
  last.Initialize(c, seed);
  for (const ParamInfo& p : whole.infos()) {
    ParamStore* s = first.Find(p.name) ? &first : &last;
    ASSERT_NE(s->Find(p.name), nullptr) << p.name;
    EXPECT_TRUE(std::equal(whole.Param(p.name), whole.Param(p.name) + p.numel(), s->Param(p.name)))
        << p.name;
  }
  EXPECT_TRUE(std::equal(first.Param("embed.tokens"), first.Param("embed.tokens") + 101 * 32,
                         last.Param("embed.tokens")));
}

TEST(Transformer, StageRangeMustBeNonEmptyAndInside) {
  ModelConfig c = TinyConfig("llama", false, 2);
  EXPECT_FALSE(Transformer::Create(c, ModelShard{0, 1, 1, 1}).ok());
  EXPECT_FALSE(Transformer::Create(c, ModelShard{0, 1, 1, 3}).ok());
  EXPECT_FALSE(Transformer::Create(c, ModelShard{0, 1, -1, 1}).ok());
  // A tensor-parallel stage needs its group's collectives.
  StatusOr<std::unique_ptr<Transformer>> both = Transformer::Create(c, ModelShard{0, 2, 0, 1});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("needs collectives"), std::string::npos)
      << both.status().message();
  auto stage = std::move(Transformer::Create(c, ModelShard{0, 1, 0, 1}).value());
  Rng rng(FreshSeed());
  testing::RandomBatch rb = MakeBatch(rng, 1, 4, c.vocab_size);
  Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
  StatusOr<LossResult> r = stage->ForwardBackward(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("whole model"), std::string::npos) << r.status().message();
}

// Three stages run back to back (forward down, backward up), two micro-batches
// accumulated, equal the whole model's ForwardBackward — also when the stages
// checkpoint activations (by global layer index; recompute changes no bit).
TEST(Transformer, ChainedStagesEqualTheWholeModel) {
  const RecomputeConfig recomputes[] = {
      {Recompute::kNone, 1}, {Recompute::kFull, 2}, {Recompute::kSelective, 1}};
  for (const char* family : {"gpt2", "llama"})
    for (const RecomputeConfig& rc : recomputes) {
      SCOPED_TRACE(::testing::Message() << family << " " << RecomputeName(rc.mode));
      ModelConfig c = TinyConfig(family, false, 4);
      const uint64_t seed = FreshSeed();
      std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
      auto whole = std::move(Transformer::Create(c).value());
      whole->params().Initialize(c, seed);
      whole->params().ZeroGrad();
      const std::vector<std::pair<int64_t, int64_t>> ranges = {{0, 1}, {1, 3}, {3, 4}};
      std::vector<std::unique_ptr<Transformer>> stages;
      for (auto [lb, le] : ranges) {
        stages.push_back(std::move(Transformer::Create(c, ModelShard{0, 1, lb, le}).value()));
        stages.back()->params().Initialize(c, seed);
        stages.back()->params().ZeroGrad();
        ASSERT_TRUE(stages.back()->SetRecompute(rc).ok());
      }
      Rng rng(seed);
      const int64_t B = 2, T = 8, N = B * T, C = c.hidden;
      for (int mb = 0; mb < 2; ++mb) {
        testing::RandomBatch rb = MakeBatch(rng, B, T, c.vocab_size);
        Batch b{rb.B, rb.T, rb.tokens.data(), rb.targets.data(), rb.docs.data()};
        const float scale = 1.f / 50;
        LossResult ref = whole->ForwardBackward(b, scale).value();
        std::vector<std::vector<float>> x(stages.size() + 1, std::vector<float>(N * C));
        LossResult got;
        for (size_t s = 0; s < stages.size(); ++s) {
          got = stages[s]->StageForward(b, s ? x[s].data() : nullptr, scale).value();
          if (s + 1 < stages.size())
            std::copy(stages[s]->stage_output(), stages[s]->stage_output() + N * C,
                      x[s + 1].begin());
        }
        EXPECT_EQ(got.loss_sum, ref.loss_sum);
        EXPECT_EQ(got.n_targets, ref.n_targets);
        std::vector<float> dy(N * C), dx(N * C);
        for (size_t s = stages.size(); s-- > 0;) {
          ASSERT_TRUE(stages[s]
                          ->StageBackward(b, s + 1 < stages.size() ? dy.data() : nullptr,
                                          s ? dx.data() : nullptr)
                          .ok());
          dy = dx;
        }
      }
      // Same kernels in the same order on the same data: equal bits, except the
      // tied embedding, whose two halves are summed later.
      for (const ParamInfo& p : whole->params().infos()) {
        const float* ref = whole->params().Grad(p.name);
        std::vector<float> got(p.numel(), 0.f);
        for (auto& s : stages)
          if (s->params().Find(p.name))
            for (int64_t i = 0; i < p.numel(); ++i) got[i] += s->params().Grad(p.name)[i];
        double max_ref = 0, max_diff = 0;
        for (int64_t i = 0; i < p.numel(); ++i) {
          max_ref = std::max(max_ref, std::fabs(double(ref[i])));
          max_diff = std::max(max_diff, std::fabs(double(ref[i]) - got[i]));
        }
        EXPECT_LE(max_diff, 1e-6 * max_ref) << p.name;
      }
    }
}

// Two activation slots: both micro-batches' forwards run before either
// backward (as on a 1F1B warm-up stage), with different packings, and the
// gradients still equal the whole model's; also with checkpointed blocks
// (their dropped pieces are rebuilt from what their slot kept).
TEST(Transformer, ActivationSlotsHoldSeveralMicroBatches) {
  for (const char* family : {"gpt2", "llama"})
    for (Recompute mode : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
      SCOPED_TRACE(::testing::Message() << family << " " << RecomputeName(mode));
      ModelConfig c = TinyConfig(family, false, 4);
      const uint64_t seed = FreshSeed();
      auto whole = std::move(Transformer::Create(c).value());
      auto first = std::move(Transformer::Create(c, ModelShard{0, 1, 0, 2}).value());
      auto last = std::move(Transformer::Create(c, ModelShard{0, 1, 2, 4}).value());
      for (Transformer* t : {whole.get(), first.get(), last.get()}) {
        t->params().Initialize(c, seed);
        t->params().ZeroGrad();
      }
      EXPECT_FALSE(first->SetActivationSlots(0).ok());
      ASSERT_TRUE(first->SetActivationSlots(2).ok());
      ASSERT_TRUE(first->SetRecompute(RecomputeConfig{mode, 1}).ok());
      Rng rng(seed);
      const int64_t B = 2, T = 8, N = B * T, C = c.hidden;
      std::vector<testing::RandomBatch> data = {MakeBatch(rng, B, T, c.vocab_size),
                                                MakeBatch(rng, B, T, c.vocab_size)};
      std::vector<Batch> mbs;
      for (auto& d : data)
        mbs.push_back(Batch{d.B, d.T, d.tokens.data(), d.targets.data(), d.docs.data()});
      std::vector<std::vector<float>> h(2);
      for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(whole->ForwardBackward(mbs[i], 1.f / 40).ok());
        first->UseActivationSlot(i);
        ASSERT_TRUE(first->StageForward(mbs[i], nullptr, 1.f / 40).ok());
        h[i].assign(first->stage_output(), first->stage_output() + N * C);
      }
      std::vector<float> dy(N * C);
      for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(last->StageForward(mbs[i], h[i].data(), 1.f / 40).ok());
        ASSERT_TRUE(last->StageBackward(mbs[i], nullptr, dy.data()).ok());
        first->UseActivationSlot(i);
        ASSERT_TRUE(first->StageBackward(mbs[i], dy.data(), nullptr).ok());
      }
      for (const ParamInfo& p : whole->params().infos()) {
        const float* ref = whole->params().Grad(p.name);
        std::vector<float> got(p.numel(), 0.f);  // the tied embedding: both stages' parts
        for (Transformer* s : {first.get(), last.get()})
          if (s->params().Find(p.name))
            for (int64_t i = 0; i < p.numel(); ++i) got[i] += s->params().Grad(p.name)[i];
        double max_ref = 0, max_diff = 0;
        for (int64_t i = 0; i < p.numel(); ++i) {
          max_ref = std::max(max_ref, std::fabs(double(ref[i])));
          max_diff = std::max(max_diff, std::fabs(double(ref[i]) - got[i]));
        }
        EXPECT_LE(max_diff, 1e-6 * max_ref) << p.name;
      }
    }
}

}  // namespace
}  // namespace seek
