// tests/train/trainer_tokenizer_test.cc — training on shards written with a
// tokenizer.json: the vocabulary defaults to the tokenizer's (padded to a
// multiple of 64), checkpoints are complete HF model folders with the
// tokenizer files, and shards that disagree with their tokenizer are refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/random.h"
#include "data/text_shards.h"
#include "data/tiny_tokenizer_util.h"
#include "data/tokenizer_files.h"
#include "io/file_util.h"
#include "io/io_test_util.h"
#include "model/checkpoint.h"
#include "train/trainer.h"

namespace seek {
namespace {

using nlohmann::json;
using seek::testing::FreshSeed;
using seek::testing::ScratchDir;
namespace fs = std::filesystem;

class TrainerTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Rng rng(FreshSeed());
    ASSERT_TRUE(WriteFileAtomic(dir_.File("tokenizer.json"),
                                seek::testing::TinyBpeTokenizerJson({"<|endoftext|>"}).dump())
                    .ok());
    std::string text;
    static const char* kWords[] = {"the", "and", "ring", "in", "then", "on", "a"};
    for (int l = 0; l < 300; ++l) {
      for (int w = 0, n = 2 + static_cast<int>(rng.Below(8)); w < n; ++w)
        text += std::string(w ? " " : "") + kWords[rng.Below(std::size(kWords))];
      text += "\n";
    }
    ASSERT_TRUE(WriteFileAtomic(dir_.File("in.txt"), text).ok());
    TextShardOptions o;
    o.inputs = {dir_.File("in.txt")};
    o.out_dir = dir_.File("shards");
    o.doc_lines = 4;
    o.tokenizer = dir_.File("tokenizer.json");
    o.progress = false;
    StatusOr<TextShardResult> r = WriteTextShards(o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    shard_ = r->shards.front();
    eot_ = r->eot_id;
    vocab_ = r->vocab_size;
  }

  TrainConfig Config(const std::string& shard) {
    json j = {{"model", {{"model_type", "llama"}, {"num_hidden_layers", 1}, {"num_attention_heads", 2},
                         {"hidden_size", 16}, {"intermediate_size", 32}}},
              {"data", {{"shards", {shard}}, {"val_fraction", 0.1}}},
              {"optim", {{"lr", 3e-3}, {"warmup_steps", 1}}},
              {"train", {{"batch_size", 2}, {"seq_len", 16}, {"max_steps", 3}, {"eval_batches", 1},
                         {"sample_tokens", 4}, {"sample_prompt", "the ring"}, {"log_every", 1}}}};
    return ParseTrainConfig(j.dump(), "test config", "").value();
  }

  ScratchDir dir_;
  std::string shard_;
  int32_t eot_ = -1;
  int64_t vocab_ = 0;
};

TEST_F(TrainerTokenizerTest, VocabularyFromTokenizerAndCheckpointIsACompleteModelDir) {
  auto t = Trainer::Create(Config(shard_), TrainOptions{dir_.File("run"), false, 0, true});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const int64_t V = (*t)->model().config().vocab_size;
  EXPECT_EQ(V % kVocabMultiple, 0);
  EXPECT_GE(V, vocab_);
  EXPECT_LT(V, vocab_ + kVocabMultiple);
  ASSERT_TRUE((*t)->Run().ok());
  const std::string ckpt = (*t)->last_checkpoint();
  EXPECT_EQ(ReadFileToString(ckpt + "/tokenizer.json").value(),
            ReadFileToString(dir_.File("tokenizer.json")).value());
  json tc = json::parse(ReadFileToString(ckpt + "/tokenizer_config.json").value());
  EXPECT_EQ(tc["eos_token"], "<|endoftext|>");
  json gen = json::parse(ReadFileToString(ckpt + "/generation_config.json").value());
  EXPECT_EQ(gen["eos_token_id"], eot_);
  json config = json::parse(ReadFileToString(ckpt + "/config.json").value());
  EXPECT_FALSE(config.contains("seek_tokenizer"));  // not a byte-level model
  // The folder loads back as a model and a tokenizer.
  auto model = LoadModelDir(ckpt);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto bundle = LoadTokenizerBundle(ckpt);
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ(bundle->eot_id, eot_);
}

TEST_F(TrainerTokenizerTest, ExplicitVocabularyMustHoldTheTokenizer) {
  TrainConfig c = Config(shard_);
  c.model_json["vocab_size"] = vocab_ - 1;
  auto t = Trainer::Create(std::move(c), TrainOptions{dir_.File("run"), false, 0, true});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("smaller than"), std::string::npos) << t.status().ToString();
}

TEST_F(TrainerTokenizerTest, ShardsThatDisagreeWithTheirTokenizerAreRefused) {
  // Byte-level shards with a tokenizer.json dropped beside them.
  TextShardOptions o;
  o.inputs = {dir_.File("in.txt")};
  o.out_dir = dir_.File("bytes");
  o.progress = false;
  StatusOr<TextShardResult> r = WriteTextShards(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  fs::copy_file(dir_.File("shards/tokenizer.json"), dir_.File("bytes/tokenizer.json"));
  auto t = Trainer::Create(Config(r->shards.front()), TrainOptions{dir_.File("run"), false, 0, true});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("rewrite them with `seek shards --tokenizer`"), std::string::npos)
      << t.status().ToString();
}

TEST_F(TrainerTokenizerTest, ResumeRefusesAnotherTokenizer) {
  {
    auto t = Trainer::Create(Config(shard_), TrainOptions{dir_.File("run"), false, 0, true});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_TRUE((*t)->Run().ok());
  }
  // One more special token: the same padded vocabulary, so only the tokenizer differs.
  fs::create_directories(dir_.File("t2"));
  ASSERT_TRUE(WriteFileAtomic(dir_.File("t2/tokenizer.json"),
                              seek::testing::TinyBpeTokenizerJson({"<|endoftext|>", "<pad>"}).dump())
                  .ok());
  TextShardOptions o;
  o.inputs = {dir_.File("in.txt")};
  o.out_dir = dir_.File("shards2");
  o.tokenizer = dir_.File("t2");
  o.progress = false;
  StatusOr<TextShardResult> r = WriteTextShards(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((r->vocab_size + 63) / 64, (vocab_ + 63) / 64);
  TrainConfig c = Config(r->shards.front());
  c.train.max_steps = 6;
  auto t = Trainer::Create(std::move(c), TrainOptions{dir_.File("run"), true, 0, true});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("differs from the shards' tokenizer"), std::string::npos)
      << t.status().ToString();
  // The same tokenizer resumes.
  c = Config(shard_);
  c.train.max_steps = 6;
  t = Trainer::Create(std::move(c), TrainOptions{dir_.File("run"), true, 0, true});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->step(), 3);
}

}  // namespace
}  // namespace seek
