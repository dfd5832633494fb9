// The inference forward pass over the paged cache against the training
// forward pass (full recompute): logits of chunked prefill + decode, several
// sequences of different lengths packed in one step, prefix reuse, and greedy
// decoding token for token.
#include "infer/forward.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "infer_test_util.h"
#include "train/sample.h"

namespace seek {
namespace {

using testing::FreshSeed;

// Logits of the full forward pass at the last position of `seq`.
std::vector<float> FullLogits(Transformer* m, const std::vector<int32_t>& seq) {
  Batch b{1, static_cast<int64_t>(seq.size()), seq.data(), nullptr, nullptr};
  EXPECT_TRUE(m->Forward(b).ok());
  const int64_t V = m->config().vocab_size;
  const float* l = m->logits() + (seq.size() - 1) * V;
  return std::vector<float>(l, l + V);
}

float MaxDiff(const float* a, const std::vector<float>& b) {
  float d = 0;
  for (size_t i = 0; i < b.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

class ForwardTest : public ::testing::TestWithParam<std::string> {};

// Three sequences in one engine step each time: chunked prefill, then decode
// steps in which they all take part; every step's logits equal the full pass.
TEST_P(ForwardTest, PrefillAndDecodeMatchFullForward) {
  Rng rng(FreshSeed());
  auto model = testing::TinyModel(GetParam(), rng.NextU64());
  const int64_t V = model->config().vocab_size;
  auto kv = KvCache::Create(model->config(), 4, 4.0).value();
  InferenceForward fwd(model.get());
  const std::vector<int64_t> prompt_len = {1, 9, 23};
  std::vector<std::vector<int32_t>> seqs(3);
  std::vector<int64_t> ids(3), done(3, 0);
  for (int i = 0; i < 3; ++i) {
    for (int64_t t = 0; t < prompt_len[i]; ++t) seqs[i].push_back(rng.Below(V));
    int64_t cached;
    ids[i] = kv->AddSequence(seqs[i], &cached);
  }
  float worst = 0;
  for (int step = 0; step < 12; ++step) {
    std::vector<StepSequence> st;
    std::vector<int> who;
    for (int i = 0; i < 3; ++i) {
      // Prefill in chunks of up to 7 tokens; afterwards one token per step.
      const int64_t n = std::min<int64_t>(7, seqs[i].size() - done[i]);
      if (n == 0) continue;
      ASSERT_TRUE(kv->Reserve(ids[i], done[i] + n));
      const bool last = done[i] + n == static_cast<int64_t>(seqs[i].size());
      st.push_back(StepSequence{ids[i], seqs[i].data() + done[i], n, last});
      if (last) who.push_back(i);
    }
    ASSERT_TRUE(fwd.Forward(st, kv.get()).ok());
    ASSERT_EQ(fwd.n_logits(), static_cast<int64_t>(who.size()));
    for (size_t k = 0; k < who.size(); ++k) {
      const int i = who[k];
      std::vector<float> ref = FullLogits(model.get(), seqs[i]);
      const float d = MaxDiff(fwd.logits() + k * V, ref);
      worst = std::max(worst, d);
      EXPECT_LT(d, 1e-4) << "sequence " << i << " at length " << seqs[i].size();
    }
    for (const StepSequence& s : st)
      for (int i = 0; i < 3; ++i)
        if (s.seq == ids[i]) done[i] += s.n;
    for (int i : who) seqs[i].push_back(rng.Below(V));  // the next token to feed
  }
  std::printf("max |logits - full forward| = %.3g\n", worst);
}

// Greedy decoding over the cache equals the training sampler's greedy
// decoding (full recompute each token), token for token; the second request
// shares the first one's prompt blocks.
// Past 64 tokens (one tile of the training attention kernel) too.
TEST_P(ForwardTest, GreedyEqualsFullRecompute) {
  Rng rng(FreshSeed());
  auto model = testing::TinyModel(GetParam(), rng.NextU64(), 2, 160);
  const int64_t V = model->config().vocab_size;
  auto kv = KvCache::Create(model->config(), 4, 4.0).value();
  InferenceForward fwd(model.get());
  std::vector<int32_t> prompt;
  for (int i = 0; i < 53; ++i) prompt.push_back(rng.Below(V));
  Rng unused(1);
  SampleOptions so{100, 0.0, 0, -1};
  auto want = SampleTokens(model.get(), prompt, so, &unused);
  ASSERT_TRUE(want.ok());
  for (int round = 0; round < 2; ++round) {
    int64_t cached;
    const int64_t s = kv->AddSequence(prompt, &cached);
    EXPECT_EQ(cached, round == 0 ? 0 : 52);
    std::vector<int32_t> seq = prompt, got;
    int64_t pos = cached;
    while (static_cast<int64_t>(got.size()) < so.max_new_tokens) {
      const int64_t n = seq.size() - pos;
      ASSERT_TRUE(kv->Reserve(s, pos + n));
      ASSERT_TRUE(fwd.Forward({StepSequence{s, seq.data() + pos, n, true}}, kv.get()).ok());
      pos += n;
      const float* l = fwd.logits();
      const int32_t next = std::max_element(l, l + V) - l;
      got.push_back(next);
      seq.push_back(next);
    }
    EXPECT_EQ(got, *want) << "round " << round;
    kv->FreeSequence(s);
  }
}

TEST_P(ForwardTest, RejectsBadIdsAndPositions) {
  auto model = testing::TinyModel(GetParam(), 7, 1, 16);
  auto kv = KvCache::Create(model->config(), 4, 4.0).value();
  InferenceForward fwd(model.get());
  int64_t cached;
  std::vector<int32_t> bad = {1, 500};
  int64_t s = kv->AddSequence(bad, &cached);
  ASSERT_TRUE(kv->Reserve(s, 2));
  EXPECT_EQ(fwd.Forward({StepSequence{s, bad.data(), 2, true}}, kv.get()).code(),
            StatusCode::kInvalidArgument);
  std::vector<int32_t> longp(17, 3);
  int64_t t = kv->AddSequence(longp, &cached);
  ASSERT_TRUE(kv->Reserve(t, 17));
  EXPECT_EQ(fwd.Forward({StepSequence{t, longp.data(), 17, true}}, kv.get()).code(),
            StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Families, ForwardTest, ::testing::Values("llama", "gpt2"));

}  // namespace
}  // namespace seek
