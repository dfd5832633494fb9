// Activation checkpointing changes no number: every recompute plan gives the
// bitwise loss, logits and gradients of keeping everything, and it saves the
// memory it claims.
#include "model/recompute.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "model/transformer.h"
#include "model_test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::MakeBatch;
using testing::TinyConfig;

struct Plan {
  Recompute mode;
  int64_t every;
};
const Plan kPlans[] = {{Recompute::kNone, 1},      {Recompute::kSelective, 1},
                       {Recompute::kSelective, 2}, {Recompute::kFull, 1},
                       {Recompute::kFull, 2},      {Recompute::kFull, 3}};

std::string Name(const Plan& p) {
  return std::string(RecomputeName(p.mode)) + " every " + std::to_string(p.every);
}

// What one plan computes: two accumulating ForwardBackward calls on different
// batches of the same shape (the second reuses the buffers), then a Forward.
struct Outcome {
  double loss1 = 0, loss2 = 0, eval_loss = 0;
  std::vector<float> grad1, grad2, logits;
  AttentionStats stats;
};

Outcome RunPlan(Transformer& m, const Plan& p, const Batch& b1, const Batch& b2) {
  EXPECT_TRUE(m.SetRecompute({p.mode, p.every}).ok());
  Outcome o;
  ParamStore& ps = m.params();
  ps.ZeroGrad();
  o.loss1 = m.ForwardBackward(b1).value().loss_sum;
  o.stats = m.attention_stats();
  o.grad1.assign(ps.grad(), ps.grad() + ps.size());
  o.loss2 = m.ForwardBackward(b2).value().loss_sum;
  o.grad2.assign(ps.grad(), ps.grad() + ps.size());
  o.eval_loss = m.Forward(b1).value().loss_sum;
  const int64_t n = b1.B * b1.T * m.config().vocab_size;
  o.logits.assign(m.logits(), m.logits() + n);
  return o;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(Recompute, GradientsAreBitwiseThoseOfKeepingEverything) {
  for (const char* family : {"gpt2", "llama"}) {
    for (auto [packed, precision] : {std::pair{false, Precision::kF32},
                                     std::pair{true, Precision::kF32},
                                     std::pair{true, Precision::kBf16}}) {
      ModelConfig c = TinyConfig(family, /*tied=*/false, /*layers=*/4);
      auto model = std::move(Transformer::Create(c).value());
      model->SetPrecision(precision);
      const uint64_t seed = FreshSeed();
      model->params().Initialize(c, seed);
      Rng rng(seed);
      auto r1 = MakeBatch(rng, 3, 29, c.vocab_size);
      auto r2 = MakeBatch(rng, 3, 29, c.vocab_size);
      Batch b1{3, 29, r1.tokens.data(), r1.targets.data(), packed ? r1.docs.data() : nullptr};
      Batch b2{3, 29, r2.tokens.data(), r2.targets.data(), packed ? r2.docs.data() : nullptr};
      const Outcome want = RunPlan(*model, kPlans[0], b1, b2);
      for (const Plan& p : kPlans) {
        // The same model switching plans (re-planning its buffers) ...
        const Outcome got = RunPlan(*model, p, b1, b2);
        // ... and a fresh model built with the plan.
        auto fresh = std::move(Transformer::Create(c).value());
        fresh->params().Initialize(c, seed);
        fresh->SetPrecision(precision);
        const Outcome got_fresh = RunPlan(*fresh, p, b1, b2);
        for (const Outcome* o : {&got, &got_fresh}) {
          const std::string what = std::string(family) + (packed ? " packed " : " ") +
                                   PrecisionName(precision) + " " + Name(p) + " seed " +
                                   std::to_string(seed);
          EXPECT_EQ(o->loss1, want.loss1) << what;
          EXPECT_EQ(o->loss2, want.loss2) << what;
          EXPECT_EQ(o->eval_loss, want.eval_loss) << what;
          EXPECT_TRUE(SameBits(o->grad1, want.grad1)) << what;
          EXPECT_TRUE(SameBits(o->grad2, want.grad2)) << what << " (second step)";
          EXPECT_TRUE(SameBits(o->logits, want.logits)) << what;
          // Recomputed attention is not counted again.
          EXPECT_EQ(o->stats.tiles_computed, want.stats.tiles_computed) << what;
          EXPECT_EQ(o->stats.tiles_total, want.stats.tiles_total) << what;
        }
      }
    }
  }
}

// The project's benchmark model (docs/BENCHMARKS.md) at sequence 1024: full
// recompute keeps less than 40% of the activation memory (issue 6 asks for a
// drop of at least 60%); selective keeps less than none, full less than both.
TEST(Recompute, FullKeepsUnder40PercentOfTheActivationMemory) {
  auto config = ParseModelConfig(R"({"model_type": "gpt2", "vocab_size": 8192, "n_positions": 1024,
                                     "n_embd": 384, "n_layer": 6, "n_head": 6})",
                                 "bench");
  ASSERT_TRUE(config.ok());
  auto model = std::move(Transformer::Create(*config).value());
  auto bytes = [&](Recompute mode, int64_t every) {
    EXPECT_TRUE(model->SetRecompute({mode, every}).ok());
    return model->ActivationBytesFor(8, 1024);
  };
  const int64_t none = bytes(Recompute::kNone, 1), sel = bytes(Recompute::kSelective, 1);
  const int64_t full = bytes(Recompute::kFull, 1), full2 = bytes(Recompute::kFull, 2);
  EXPECT_LT(full, 0.4 * none) << full << " of " << none;
  EXPECT_LT(sel, none);
  EXPECT_LT(full, sel);
  EXPECT_LT(full, full2);
  EXPECT_LT(full2, none);
}

// activation_bytes() is what was allocated, and ActivationBytesFor predicts it.
TEST(Recompute, ActivationBytesAreTheAllocation) {
  ModelConfig c = TinyConfig("llama", false, 6);
  auto model = std::move(Transformer::Create(c).value());
  model->params().Initialize(c, FreshSeed());
  Rng rng(FreshSeed());
  auto r = MakeBatch(rng, 2, 64, c.vocab_size);
  Batch b{2, 64, r.tokens.data(), r.targets.data(), r.docs.data()};
  EXPECT_EQ(model->activation_bytes(), 0);
  for (Precision precision : {Precision::kF32, Precision::kBf16}) {
    model->SetPrecision(precision);
    int64_t none = 0;
    for (const Plan& p : kPlans) {
      ASSERT_TRUE(model->SetRecompute({p.mode, p.every}).ok());
      const int64_t predicted = model->ActivationBytesFor(2, 64);
      ASSERT_TRUE(model->ForwardBackward(b).ok());
      EXPECT_EQ(model->activation_bytes(), predicted) << Name(p);
      if (p.mode == Recompute::kNone) none = predicted;
      else EXPECT_LT(predicted, none) << Name(p);
    }
  }
}

TEST(Recompute, NamesAndBadSettings) {
  for (Recompute m : {Recompute::kNone, Recompute::kSelective, Recompute::kFull})
    EXPECT_EQ(ParseRecompute(RecomputeName(m)).value(), m);
  auto bad = ParseRecompute("ful");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'ful' must be \"none\", \"selective\" or \"full\""),
            std::string::npos)
      << bad.status().ToString();
  auto model = std::move(Transformer::Create(TinyConfig("gpt2")).value());
  EXPECT_FALSE(model->SetRecompute({Recompute::kFull, 0}).ok());
  RecomputeConfig every3{Recompute::kSelective, 3};
  EXPECT_TRUE(every3.Checkpointed(0));
  EXPECT_FALSE(every3.Checkpointed(2));
  EXPECT_TRUE(every3.Checkpointed(3));
  EXPECT_FALSE(RecomputeConfig{}.Checkpointed(0));
}

}  // namespace
}  // namespace seek
