#include "model/transformer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model_test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::MakeBatch;
using testing::TinyConfig;

TEST(ParamStore, LayoutIsContiguousAlignedAndComplete) {
  for (const char* family : {"gpt2", "llama"}) {
    ModelConfig c = TinyConfig(family);
    ParamStore p(c);
    int64_t expected_end = 0, total = 0;
    for (const ParamInfo& info : p.infos()) {
      EXPECT_EQ(info.offset % 16, 0) << info.name;
      EXPECT_GE(info.offset, expected_end) << info.name;
      EXPECT_LT(info.offset, expected_end + 16) << info.name;
      expected_end = info.offset + info.numel();
      total += info.numel();
    }
    EXPECT_EQ(p.num_params(), total);
    EXPECT_GE(p.size(), expected_end);
  }
  // GPT-2: the well-known count, 12 * L * C^2 + 13 * L * C + (V + P + 2) * C.
  ModelConfig g = TinyConfig("gpt2");
  const int64_t C = 32, L = 2, V = 101, P = 64;
  EXPECT_EQ(ParamStore(g).num_params(), 12 * L * C * C + 13 * L * C + (V + P + 2) * C);
}

TEST(ParamStore, InitialisationFollowsGpt2Megatron) {
  ModelConfig c = TinyConfig("gpt2", false, 4);
  c.hidden = 64;
  c.intermediate = 256;
  ParamStore p(c);
  p.Initialize(c, FreshSeed());
  auto stddev = [&](const std::string& name) {
    const ParamInfo* info = p.Find(name);
    const float* w = p.data() + info->offset;
    double s = 0;
    for (int64_t i = 0; i < info->numel(); ++i) s += double(w[i]) * w[i];
    return std::sqrt(s / info->numel());
  };
  EXPECT_NEAR(stddev("layers.0.attn.qkv.weight"), 0.02, 0.001);
  EXPECT_NEAR(stddev("layers.3.mlp.down.weight"), 0.02 / std::sqrt(8.0), 0.0005);
  EXPECT_NEAR(stddev("layers.1.attn.out.weight"), 0.02 / std::sqrt(8.0), 0.0005);
  EXPECT_EQ(p.Param("layers.2.norm1.weight")[5], 1.f);
  EXPECT_EQ(p.Param("layers.2.mlp.up.bias")[7], 0.f);
}

// Logits of a row packed from several documents equal those of each document
// run alone: masks and position resets make packing invisible.
TEST(Transformer, PackedDocumentsEqualSeparateRuns) {
  for (const char* family : {"gpt2", "llama"}) {
    ModelConfig c = TinyConfig(family);
    auto model = std::move(Transformer::Create(c).value());
    uint64_t seed = FreshSeed();
    model->params().Initialize(c, seed);
    Rng rng(seed);
    auto b = MakeBatch(rng, 1, 47, c.vocab_size);
    Batch packed{1, 47, b.tokens.data(), nullptr, b.docs.data()};
    ASSERT_TRUE(model->Forward(packed).ok());
    std::vector<float> all(model->logits(), model->logits() + 47 * c.vocab_size);
    int64_t start = 0;
    for (int64_t t = 1; t <= 47; ++t) {
      if (t < 47 && b.docs[t] == b.docs[start]) continue;
      Batch alone{1, t - start, b.tokens.data() + start, nullptr, nullptr};
      ASSERT_TRUE(model->Forward(alone).ok());
      for (int64_t i = 0; i < (t - start) * c.vocab_size; ++i)
        ASSERT_NEAR(model->logits()[i], all[start * c.vocab_size + i], 2e-5)
            << family << " seed " << seed << " doc at " << start;
      start = t;
    }
  }
}

// Central finite differences of the loss against the analytic gradient, in
// f32 on a tiny model, for the entries with the largest gradients.
TEST(Transformer, GradientsMatchFiniteDifferences) {
  for (const char* family : {"gpt2", "llama"}) {
    ModelConfig c = TinyConfig(family, /*tied=*/true, /*layers=*/1);
    auto model = std::move(Transformer::Create(c).value());
    uint64_t seed = FreshSeed();
    model->params().Initialize(c, seed);
    // Larger weights make the loss surface less flat than 0.02 init.
    float* w = model->params().data();
    for (int64_t i = 0; i < model->params().size(); ++i) w[i] *= 3.f;
    Rng rng(seed);
    auto b = MakeBatch(rng, 2, 9, c.vocab_size);
    Batch batch{2, 9, b.tokens.data(), b.targets.data(), b.docs.data()};
    model->params().ZeroGrad();
    ASSERT_TRUE(model->ForwardBackward(batch).ok());
    std::vector<float> grad(model->params().grad(), model->params().grad() + model->params().size());
    for (const ParamInfo& info : model->params().infos()) {
      int64_t best = info.offset;
      for (int64_t i = info.offset; i < info.offset + info.numel(); ++i)
        if (std::fabs(grad[i]) > std::fabs(grad[best])) best = i;
      if (std::fabs(grad[best]) < 1e-3f) continue;
      const float h = 2e-3f, orig = w[best];
      w[best] = orig + h;
      double up = model->Forward(batch)->mean();
      w[best] = orig - h;
      double down = model->Forward(batch)->mean();
      w[best] = orig;
      double fd = (up - down) / (2 * h);
      EXPECT_NEAR(fd, grad[best], 2e-2 * std::fabs(grad[best]) + 2e-4)
          << family << " " << info.name << " seed " << seed;
    }
  }
}

TEST(Transformer, GradientsAccumulateAcrossCalls) {
  ModelConfig c = TinyConfig("llama");
  auto model = std::move(Transformer::Create(c).value());
  model->params().Initialize(c, FreshSeed());
  Rng rng(FreshSeed());
  auto b = MakeBatch(rng, 2, 16, c.vocab_size);
  Batch batch{2, 16, b.tokens.data(), b.targets.data(), b.docs.data()};
  model->params().ZeroGrad();
  ASSERT_TRUE(model->ForwardBackward(batch).ok());
  std::vector<float> once(model->params().grad(), model->params().grad() + model->params().size());
  ASSERT_TRUE(model->ForwardBackward(batch).ok());
  for (int64_t i = 0; i < model->params().size(); ++i)
    ASSERT_NEAR(model->params().grad()[i], 2 * once[i], 1e-6 + 1e-5 * std::fabs(once[i]));
}

TEST(Transformer, BadBatchesAreErrors) {
  ModelConfig c = TinyConfig("gpt2");
  auto model = std::move(Transformer::Create(c).value());
  std::vector<int32_t> tokens(8, 3), targets(8, 4);
  tokens[5] = 101;
  auto r = model->Forward(Batch{2, 4, tokens.data(), targets.data(), nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("token id 101 at position 1 of row 1"), std::string::npos)
      << r.status().ToString();
  tokens[5] = 3;
  targets[2] = -2;
  r = model->ForwardBackward(Batch{2, 4, tokens.data(), targets.data(), nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("target -2"), std::string::npos);
  std::vector<int32_t> long_tokens(65, 1);
  r = model->Forward(Batch{1, 65, long_tokens.data(), nullptr, nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("max positions 64"), std::string::npos);
  r = model->ForwardBackward(Batch{2, 4, tokens.data(), nullptr, nullptr});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace seek
