// The engine end to end on tiny random models: continuous batching with
// chunked prefill gives the training pass's greedy tokens for every request;
// seeded sampling does not depend on the batch; cancellation frees blocks;
// requests that can never fit are refused; the threaded API streams.
#include "infer/engine.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "infer_test_util.h"
#include "model/checkpoint.h"
#include "tokenizer/bytes.h"
#include "train/sample.h"

namespace seek {
namespace {

using testing::FreshSeed;

std::unique_ptr<Engine> MakeEngine(std::unique_ptr<Transformer> m, EngineOptions o) {
  auto e = Engine::Create(std::move(m), nullptr, o);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(*e);
}

std::vector<int32_t> RandomPrompt(Rng& rng, int64_t n, int64_t V) {
  std::vector<int32_t> p(n);
  for (auto& t : p) t = rng.Below(V);
  return p;
}

class EngineTest : public ::testing::TestWithParam<std::string> {};

// Eight requests of different lengths through a batch of at most 3, prefill
// chunks of 5 tokens and a small cache (forcing preemption): each request's
// greedy tokens equal the full-recompute sampler's.
TEST_P(EngineTest, ContinuousBatchingGreedyEqualsFullRecompute) {
  Rng rng(FreshSeed());
  const uint64_t seed = rng.NextU64();
  auto model = testing::TinyModel(GetParam(), seed);
  auto ref = testing::TinyModel(GetParam(), seed);
  const int64_t V = model->config().vocab_size;
  EngineOptions o;
  o.max_batch = 3;
  o.block_size = 4;
  o.prefill_chunk = 5;
  o.max_step_tokens = 12;
  const ModelConfig& c = model->config();
  o.kv_cache_mb = 16.0 * c.n_layer * 2 * 4 * c.n_kv_head * c.head_dim() * 4 / (1 << 20);  // 16 blocks
  auto engine = MakeEngine(std::move(model), o);
  std::vector<std::vector<int32_t>> prompts, want, got(8);
  std::vector<int64_t> ids;
  std::vector<int> finished(8, 0);
  for (int i = 0; i < 8; ++i) {
    prompts.push_back(RandomPrompt(rng, 1 + rng.Below(20), V));
    if (i == 5) prompts[i] = prompts[2];  // identical prompts share blocks
    GenerationRequest r{prompts[i], {}};
    r.sampling.temperature = 0;
    r.sampling.max_tokens = 4 + rng.Below(20);
    Rng unused(1);
    auto w = SampleTokens(ref.get(), prompts[i], SampleOptions{r.sampling.max_tokens, 0.0, 0, -1},
                          &unused);
    ASSERT_TRUE(w.ok());
    want.push_back(*w);
    auto id = engine->Submit(r, [&, i](const TokenEvent& e) {
      if (e.token >= 0) got[i].push_back(e.token);
      if (e.finished) {
        ++finished[i];
        EXPECT_EQ(e.finish_reason, FinishReason::kLength);
      }
    });
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    // Requests join while others run.
    for (int s = 0; s < 3; ++s) engine->Step();
  }
  for (int s = 0; s < 2000 && engine->Step(); ++s) {
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(finished[i], 1);
    EXPECT_EQ(got[i], want[i]) << "request " << i << " prompt " << prompts[i].size();
  }
  EXPECT_EQ(engine->stats().kv_blocks_used, 0);
  std::printf("steps %lld preemptions %lld\n", (long long)engine->stats().steps,
              (long long)engine->stats().preemptions);
}

TEST_P(EngineTest, SeededSamplingDoesNotDependOnTheBatch) {
  Rng rng(FreshSeed());
  auto engine = MakeEngine(testing::TinyModel(GetParam(), rng.NextU64()), EngineOptions{});
  const int64_t V = engine->config().vocab_size;
  GenerationRequest r{RandomPrompt(rng, 7, V), {}};
  r.sampling.temperature = 1.0;
  r.sampling.top_p = 0.9;
  r.sampling.seed = 1234;
  r.sampling.max_tokens = 30;
  GenerationResult alone = engine->Generate(r);
  ASSERT_TRUE(alone.error.ok());
  // Now inside a busy batch of other sampled requests.
  for (int i = 0; i < 5; ++i) {
    GenerationRequest other{RandomPrompt(rng, 1 + rng.Below(20), V), {}};
    other.sampling.max_tokens = 20;
    ASSERT_TRUE(engine->Submit(other, nullptr).ok());
  }
  engine->Step();
  GenerationResult busy = engine->Generate(r);
  EXPECT_EQ(alone.tokens, busy.tokens);
}

TEST_P(EngineTest, CancelFreesBlocks) {
  Rng rng(FreshSeed());
  auto engine = MakeEngine(testing::TinyModel(GetParam(), rng.NextU64()), EngineOptions{});
  GenerationRequest r{RandomPrompt(rng, 40, engine->config().vocab_size), {}};
  r.sampling.max_tokens = 20;
  FinishReason reason = FinishReason::kNone;
  int tokens = 0;
  auto id = engine->Submit(r, [&](const TokenEvent& e) {
    tokens += e.token >= 0;
    if (e.finished) reason = e.finish_reason;
  });
  ASSERT_TRUE(id.ok());
  for (int i = 0; i < 3; ++i) engine->Step();
  EXPECT_GT(engine->stats().kv_blocks_used, 0);
  engine->Cancel(*id);
  engine->Step();
  EXPECT_EQ(reason, FinishReason::kCancelled);
  EXPECT_EQ(tokens, 3);
  EXPECT_EQ(engine->stats().kv_blocks_used, 0);
  EXPECT_EQ(engine->stats().running, 0);
}

TEST_P(EngineTest, RefusesRequestsThatCanNeverRun) {
  auto model = testing::TinyModel(GetParam(), 3);
  EngineOptions o;
  o.block_size = 4;
  const ModelConfig& c = model->config();
  o.kv_cache_mb = 8.0 * c.n_layer * 2 * 4 * c.n_kv_head * c.head_dim() * 4 / (1 << 20);  // 32 tokens
  auto engine = MakeEngine(std::move(model), o);
  GenerationRequest r{std::vector<int32_t>(20, 1), {}};
  r.sampling.max_tokens = 20;  // 40 tokens > 32 in the cache
  auto st = engine->Submit(r, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("KV cache"), std::string::npos) << st.status().message();
  r.sampling.max_tokens = 60;  // past the 64-token context
  EXPECT_NE(engine->Submit(r, nullptr).status().message().find("context"), std::string::npos);
  r.prompt = {};
  EXPECT_FALSE(engine->Submit(r, nullptr).ok());
  r.prompt = {1000};
  r.sampling.max_tokens = 1;
  EXPECT_FALSE(engine->Submit(r, nullptr).ok());
  r.prompt = {1};
  r.sampling.temperature = -1;
  EXPECT_FALSE(engine->Submit(r, nullptr).ok());
}

TEST_P(EngineTest, BackgroundLoopServesConcurrentClients) {
  Rng rng(FreshSeed());
  auto engine = MakeEngine(testing::TinyModel(GetParam(), rng.NextU64()), EngineOptions{});
  const int64_t V = engine->config().vocab_size;
  engine->Start();
  std::vector<std::thread> clients;
  std::vector<GenerationResult> results(16);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 16; ++i) prompts.push_back(RandomPrompt(rng, 1 + rng.Below(10), V));
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&, i] {
      GenerationRequest r{prompts[i], {}};
      r.sampling.temperature = 0;
      r.sampling.max_tokens = 10;
      results[i] = engine->Generate(r);
    });
  }
  for (auto& t : clients) t.join();
  engine->Stop();
  for (int i = 0; i < 16; ++i) {
    EXPECT_TRUE(results[i].error.ok());
    EXPECT_EQ(results[i].tokens.size(), 10u);
    EXPECT_EQ(results[i].finish_reason, FinishReason::kLength);
  }
}

// A second request with the same prompt (a shared system prompt) reuses the
// cached full blocks and still produces the same greedy tokens.
TEST_P(EngineTest, PrefixReuseGivesTheSameTokens) {
  Rng rng(FreshSeed());
  auto engine = MakeEngine(testing::TinyModel(GetParam(), rng.NextU64()), EngineOptions{});
  GenerationRequest r{RandomPrompt(rng, 40, engine->config().vocab_size), {}};
  r.sampling.temperature = 0;
  r.sampling.max_tokens = 15;
  GenerationResult first = engine->Generate(r);
  GenerationResult second = engine->Generate(r);
  EXPECT_EQ(first.cached_tokens, 0);
  EXPECT_EQ(second.cached_tokens, 32);  // two full blocks of 16
  EXPECT_EQ(first.tokens, second.tokens);
  // A prompt that only shares its first block reuses 16 tokens.
  r.prompt[20] = (r.prompt[20] + 1) % engine->config().vocab_size;
  EXPECT_EQ(engine->Generate(r).cached_tokens, 16);
}

INSTANTIATE_TEST_SUITE_P(Families, EngineTest, ::testing::Values("llama", "gpt2"));

// A byte-level model: text streams, stop strings end the output, the end-of-
// text id stops generation, logprobs come with each token.
TEST(EngineText, StopStringsAndEndOfText) {
  ModelConfig c = testing::TinyConfig("llama");
  c.vocab_size = ByteTokenizer::kVocabSize;
  c.extra[ByteTokenizer::kConfigKey] = ByteTokenizer::kConfigValue;
  c.init_std = 0.3;
  auto m = Transformer::Create(c).value();
  m->params().Initialize(c, 11);
  auto engine = MakeEngine(std::move(m), EngineOptions{});
  ASSERT_EQ(engine->eos_ids(), std::vector<int32_t>{ByteTokenizer::kEndOfText});
  GenerationRequest r{*engine->Encode("hello"), {}};
  r.sampling.temperature = 0;
  r.sampling.max_tokens = 40;
  r.sampling.ignore_eos = true;
  r.sampling.logprobs = 2;
  GenerationResult full = engine->Generate(r);
  ASSERT_EQ(full.tokens.size(), 40u);
  ASSERT_EQ(full.logprobs.size(), 40u);
  EXPECT_EQ(full.logprobs[0].top.size(), 2u);
  EXPECT_EQ(full.logprobs[0].top[0].first, full.tokens[0]);  // greedy takes the best
  const std::string text = ByteTokenizer::Decode(full.tokens);
  EXPECT_EQ(full.text, text);
  // A stop string taken from the middle of the greedy text.
  const std::string stop = text.substr(10, 3);
  r.sampling.stop = {stop};
  GenerationResult cut = engine->Generate(r);
  EXPECT_EQ(cut.finish_reason, FinishReason::kStop);
  EXPECT_EQ(cut.text, text.substr(0, text.find(stop)));
  // The same as a stop token id.
  r.sampling.stop = {};
  r.sampling.stop_token_ids = {full.tokens[5]};
  GenerationResult st = engine->Generate(r);
  EXPECT_EQ(st.finish_reason, FinishReason::kStop);
  EXPECT_LE(st.tokens.size(), 6u);
}

// Load() reads a model directory: weights, the byte vocabulary from
// config.json and eos ids from generation_config.json.
TEST(EngineLoad, ReadsAModelDirectory) {
  ModelConfig c = testing::TinyConfig("gpt2");
  c.vocab_size = ByteTokenizer::kVocabSize;
  c.extra[ByteTokenizer::kConfigKey] = ByteTokenizer::kConfigValue;
  c.init_std = 0.3;
  auto m = Transformer::Create(c).value();
  m->params().Initialize(c, 5);
  const std::string dir = ::testing::TempDir() + "/engine_load_" + std::to_string(FreshSeed());
  ASSERT_TRUE(SaveModelDir(*m, dir).ok());
  std::ofstream(dir + "/generation_config.json") << R"({"eos_token_id": [256, 10]})";
  auto e = Engine::Load(dir, EngineOptions{});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->eos_ids(), (std::vector<int32_t>{256, 10}));
  GenerationRequest r{*(*e)->Encode("abc"), {}};
  r.sampling.temperature = 0;
  r.sampling.max_tokens = 12;
  r.sampling.ignore_eos = true;
  Rng unused(1);
  auto want = SampleTokens(m.get(), r.prompt, SampleOptions{12, 0.0, 0, -1}, &unused);
  EXPECT_EQ((*e)->Generate(r).tokens, *want);
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(Engine::Load(dir, EngineOptions{}).ok());
}

}  // namespace
}  // namespace seek
