#include "train/train_config.h"

#include <gtest/gtest.h>

namespace seek {
namespace {

StatusOr<TrainConfig> Parse(const std::string& json) {
  return ParseTrainConfig(json, "cfg.json", "/data");
}

TEST(TrainConfig, DefaultsFillEverythingButTheShards) {
  auto c = Parse(R"({"data": {"shards": ["a.bin"]}})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data.shards[0], "/data/a.bin");
  EXPECT_EQ(c->train.batch_size, 8);
  EXPECT_EQ(c->train.seq_len, 256);
  EXPECT_EQ(c->optim.schedule.kind, ScheduleKind::kCosine);
  EXPECT_DOUBLE_EQ(c->optim.beta2, 0.95);
  EXPECT_EQ(c->optim.schedule.total_steps, 1000);
  EXPECT_EQ(c->model_json["model_type"], "gpt2");
  ASSERT_TRUE(ResolveModel(&*c, 257).ok());
  EXPECT_EQ(c->model.vocab_size, 257);
  EXPECT_EQ(c->model.max_positions, 256);
  EXPECT_EQ(c->model.extra["seek_tokenizer"], "bytes");
  // The effective config parses back to the same thing.
  auto again = ParseTrainConfig(c->ToJson().dump(), "again", "");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), c->ToJson());
}

TEST(TrainConfig, TokenizerVocabularyIsPaddedAndNeverMarkedBytes) {
  for (int64_t v : {257, 260, 320, 321, 128256}) {
    auto c = Parse(R"({"data": {"shards": ["a.bin"]}})");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE(ResolveModel(&*c, v, v).ok());
    EXPECT_EQ(c->model.vocab_size, (v + 63) / 64 * 64) << v;
    EXPECT_FALSE(c->model.extra.contains("seek_tokenizer")) << v;  // even with 257 ids
  }
  auto c = Parse(R"({"data": {"shards": ["a"]}, "model": {"model_type": "llama", "vocab_size": 300}})");
  ASSERT_TRUE(c.ok());
  Status s = ResolveModel(&*c, 300, 301);  // the tokenizer knows one id more than the data uses
  EXPECT_NE(s.message().find("smaller than the data's vocabulary 301"), std::string::npos) << s.ToString();
}

TEST(TrainConfig, ActivationCheckpointing) {
  auto d = Parse(R"({"data": {"shards": ["a.bin"]}})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->train.recompute.mode, Recompute::kNone);
  EXPECT_EQ(d->train.recompute.every, 1);
  EXPECT_EQ(d->ToJson()["train"]["activation_checkpointing"], "none");
  for (const char* mode : {"none", "selective", "full"}) {
    auto c = Parse(std::string(R"({"data": {"shards": ["a.bin"]}, "train": {"activation_checkpointing": ")") +
                   mode + R"(", "activation_checkpointing_every": 2}})");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_STREQ(RecomputeName(c->train.recompute.mode), mode);
    EXPECT_EQ(c->train.recompute.every, 2);
    const nlohmann::json t = c->ToJson()["train"];
    EXPECT_EQ(t["activation_checkpointing"], mode);
    EXPECT_EQ(t["activation_checkpointing_every"], 2);
    // The effective config parses back to the same plan.
    auto again = ParseTrainConfig(c->ToJson().dump(), "again", "");
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->train.recompute.mode, c->train.recompute.mode);
    EXPECT_EQ(again->train.recompute.every, 2);
  }
}

TEST(TrainConfig, PrecisionAndLossScaleRoundTrip) {
  auto c = Parse(R"({"data": {"shards": ["a"]}, "train": {"precision": "fp16", "initial_loss_scale": 1024,
                     "loss_scale_window": 50, "hysteresis": 3}})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->train.precision, Precision::kF16);
  EXPECT_EQ(c->train.loss_scale.initial_scale, 1024);
  EXPECT_EQ(c->train.loss_scale.growth_interval, 50);
  auto again = ParseTrainConfig(c->ToJson().dump(), "again", "");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->train.loss_scale.hysteresis, 3);
  EXPECT_EQ(Parse(R"({"data": {"shards": ["a"]}})")->train.precision, Precision::kF32);
}

TEST(TrainConfig, TokenBudgetCutsTheSteps) {
  auto c = Parse(R"({"data": {"shards": ["a.bin"]}, "train": {"batch_size": 2, "seq_len": 10,
                   "grad_accum": 3, "max_steps": 100, "max_tokens": 601}})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->train.tokens_per_step(), 60);
  EXPECT_EQ(c->train.total_steps(), 11);
  EXPECT_EQ(c->optim.schedule.total_steps, 11);
}

TEST(TrainConfig, BadConfigsNameTheField) {
  struct Case { const char* json; const char* mention; };
  const Case cases[] = {
      {R"({"data": {"shards": ["a"]}, "train": {"batch_sise": 4}})", "unknown key 'batch_sise' in section 'train'"},
      {R"({"data": {"shards": ["a"]}, "optimizer": {}})", "unknown section 'optimizer'"},
      {R"({"data": {"shards": ["a"]}, "train": {"batch_size": "8"}})", "'batch_size' must be an integer"},
      {R"({"data": {"shards": ["a"]}, "train": {"batch_size": 0}})", "train.batch_size = 0"},
      {R"({"data": {"shards": ["a"]}, "optim": {"lr": -1}})", "optim.lr = -1"},
      {R"({"data": {"shards": ["a"]}, "optim": {"schedule": "linear"}})", "'linear'"},
      {R"({"data": {"shards": []}})", "data.shards"},
      {R"({"data": {"shards": ["a"], "val_fraction": 0.9}})", "data.val_fraction"},
      {R"({"data": {"shards": ["a"]}, "train": {"nan_policy": "ignore"}})", "nan_policy"},
      {R"({"data": {"shards": ["a"]}, "optim": {"milestones": [0.5]}})", "same length"},
      {R"({"data": {"shards": ["a"]}, "train": {"activation_checkpointing": "ful"}})",
       R"(train.activation_checkpointing 'ful' must be "none", "selective" or "full")"},
      {R"({"data": {"shards": ["a"]}, "train": {"activation_checkpointing": true}})",
       "'activation_checkpointing' must be a string"},
      {R"({"data": {"shards": ["a"]}, "train": {"activation_checkpointing_every": 0}})",
       "train.activation_checkpointing_every = 0 must be in [1, "},
      {R"({"data": {"shards": ["a"]}, "train": 5})", "section 'train' must be a JSON object"},
      {"{\"data\": ", "not valid JSON"},
      {R"({"data": {"shards": ["a"]}, "train": {"precision": "fp8"}})", "train.precision"},
      {R"({"data": {"shards": ["a"]}, "train": {"hysteresis": 3}})", "fp16"},
      {R"({"data": {"shards": ["a"]}, "train": {"peak_tflops": -2}})", "train.peak_tflops = -2"},
      {R"({"data": {"shards": ["a"]}, "train": {"precision": "fp16", "min_loss_scale": 1e9}})", "min_loss_scale"},
      {R"({"data": {"shards": ["a"]}, "train": {"batch_size": 1048576, "seq_len": 16777216,
           "grad_accum": 1048576}})", "tokens per step"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.status().message().find(c.mention), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find("cfg.json"), std::string::npos) << r.status().ToString();
  }
  auto c = Parse(R"({"data": {"shards": ["a"]}, "model": {"model_type": "llama", "vocab_size": 100}})");
  ASSERT_TRUE(c.ok());
  Status s = ResolveModel(&*c, 257);
  EXPECT_NE(s.message().find("smaller than the data's vocabulary 257"), std::string::npos) << s.ToString();
  // A model_type of the wrong type is an error from the model parser, not an exception.
  c = Parse(R"({"data": {"shards": ["a"]}, "model": {"model_type": 5}})");
  ASSERT_TRUE(c.ok());
  s = ResolveModel(&*c, 257);
  EXPECT_NE(s.message().find("model_type"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace seek
