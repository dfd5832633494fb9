#include "train/trainer.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/random.h"
#include "io/shard.h"
#include "model/checkpoint.h"
#include "train/run_checkpoint.h"

namespace seek {
namespace {
namespace fs = std::filesystem;

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = std::random_device{}();
    root_ = fs::temp_directory_path() / ("seek_trainer_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(seed_ % 100000));
    fs::create_directories(root_);
    // Documents over a 64-token vocabulary that a model can learn: each is an
    // arithmetic progression mod 64 with a random start and a stride of 1-3.
    Rng rng(seed_);
    ShardWriter w((root_ / "data.bin").string(), 64);
    for (int d = 0; d < 60; ++d) {
      std::vector<int32_t> doc(3 + rng.Below(40));
      int32_t x = static_cast<int32_t>(rng.Below(64)), stride = 1 + static_cast<int32_t>(rng.Below(3));
      for (auto& t : doc) t = (x += stride) % 64;
      ASSERT_TRUE(w.AddDocument(doc).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
  }
  void TearDown() override {
    ::umount((root_ / "small_disk").c_str());  // the full-disk test's tmpfs, if mounted
    fs::remove_all(root_);
  }

  TrainConfig Config(const std::string& family, int64_t steps, int64_t accum = 2,
                     const nlohmann::json& train_extra = nlohmann::json::object()) {
    nlohmann::json model = family == "gpt2"
        ? nlohmann::json{{"model_type", "gpt2"}, {"n_layer", 2}, {"n_head", 2}, {"n_embd", 32}}
        : nlohmann::json{{"model_type", "llama"}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                         {"num_key_value_heads", 2}, {"hidden_size", 32}, {"intermediate_size", 64}};
    nlohmann::json j = {
        {"model", model},
        {"data", {{"shards", {(root_ / "data.bin").string()}}, {"val_fraction", 0.1}}},
        {"optim", {{"lr", 3e-3}, {"warmup_steps", 3}}},
        {"train", {{"batch_size", 2}, {"seq_len", 16}, {"grad_accum", accum}, {"max_steps", steps},
                   {"seed", static_cast<int64_t>(seed_ % 1000)}, {"eval_every", 4},
                   {"eval_batches", 2}, {"sample_tokens", 5}, {"checkpoint_every", 4},
                   {"keep_checkpoints", 3}, {"log_every", 1}}}};
    j["train"].update(train_extra);
    return ParseTrainConfig(j.dump(), "test config", "").value();
  }
  std::string Run(const char* name) const { return (root_ / name).string(); }

  static std::unique_ptr<Trainer> Make(TrainConfig c, const std::string& dir, bool resume,
                                       int64_t steps_this_run = 0) {
    auto t = Trainer::Create(std::move(c), TrainOptions{dir, resume, steps_this_run, true});
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }

  uint64_t seed_ = 0;
  fs::path root_;
};

std::vector<float> Weights(Trainer& t) {
  const ParamStore& p = t.model().params();
  return std::vector<float>(p.data(), p.data() + p.size());
}

// N steps straight == k steps, stop, resume, N - k steps: losses and weights
// to the last bit, in every precision. fp16 starts at a loss scale of 2^24,
// so its first steps overflow and are skipped and the scale backs off (and
// grows after every 3 clean steps): the resumed run must carry the scaler's
// state to match.
TEST_F(TrainerTest, ResumeIsBitIdenticalInEveryPrecision) {
  const nlohmann::json modes[] = {{{"precision", "fp32"}}, {{"precision", "bf16"}},
                                  {{"precision", "bf16"}, {"stochastic_rounding", true}},
                                  {{"precision", "fp16"}, {"initial_loss_scale", 16777216.0},
                                   {"loss_scale_window", 3}}};
  for (const nlohmann::json& mode : modes) {
    for (const char* family : {"gpt2", "llama"}) {
      const std::string tag = std::string(family) + "_" + mode["precision"].get<std::string>() +
                              (mode.contains("stochastic_rounding") ? "_sr" : "");
      auto straight = Make(Config(family, 11, 2, mode), Run("straight") + tag, false);
      ASSERT_TRUE(straight->Run().ok()) << tag;
      auto first = Make(Config(family, 11, 2, mode), Run("split") + tag, false, /*steps_this_run=*/5);
      ASSERT_TRUE(first->Run().ok());
      ASSERT_EQ(first->step(), 5);
      auto second = Make(Config(family, 11, 2, mode), Run("split") + tag, true);
      ASSERT_EQ(second->step(), 5);
      ASSERT_TRUE(second->Run().ok());
      ASSERT_EQ(second->history().size(), 6u);
      for (size_t i = 0; i < 6; ++i) {
        const StepRecord &a = second->history()[i], &b = straight->history()[5 + i];
        EXPECT_EQ(a.loss, b.loss) << tag << " step " << 6 + i << " seed " << seed_;
        EXPECT_TRUE(a.grad_norm == b.grad_norm || (std::isnan(a.grad_norm) && std::isnan(b.grad_norm))) << tag;
        EXPECT_EQ(a.loss_scale, b.loss_scale) << tag << " step " << 6 + i;
        EXPECT_EQ(a.skipped, b.skipped) << tag;
      }
      EXPECT_EQ(Weights(*second), Weights(*straight)) << tag << " seed " << seed_;
      // And the run learned something: loss fell (fp16 skips its first,
      // overflowing steps, too many of them to learn in 11 on some data).
      if (mode["precision"] != "fp16") {
        EXPECT_LT(straight->history().back().loss, straight->history().front().loss) << tag;
      }
      if (mode["precision"] == "fp16") {
        const auto& hs = straight->history();
        EXPECT_TRUE(std::any_of(hs.begin(), hs.end(), [](const StepRecord& r) { return !r.skipped; }))
            << "every fp16 step overflowed";
        const auto& h = straight->history();
        EXPECT_TRUE(h[0].overflow && h[0].skipped) << "2^24 should overflow fp16";
        // The scale moved (backed off, and grown again if 3 clean steps came
        // in a row: that depends on the data), so the resumed run could only
        // match the loss scales above by restoring the scaler's state.
        EXPECT_NE(h.back().loss_scale, h[0].loss_scale) << "the loss scale never changed";
      }
    }
  }
}

// train.activation_checkpointing reaches the model and changes no number:
// the same losses, gradient norms and weights as keeping every activation,
// with evaluation and samples (other batch shapes) in between.
TEST_F(TrainerTest, ActivationCheckpointingTrainsBitIdentically) {
  for (const char* family : {"gpt2", "llama"}) {
    auto plain = Make(Config(family, 4), Run("plain") + family, false);
    ASSERT_TRUE(plain->Run().ok());
    for (auto [mode, every] : {std::pair{Recompute::kFull, 1}, std::pair{Recompute::kSelective, 2}}) {
      TrainConfig c = Config(family, 4);
      c.train.recompute = RecomputeConfig{mode, every};
      const std::string dir = Run("ckpt") + std::string(family) + RecomputeName(mode);
      auto t = Make(c, dir, false);
      EXPECT_EQ(t->model().recompute().mode, mode);
      ASSERT_TRUE(t->Run().ok());
      ASSERT_EQ(t->history().size(), plain->history().size());
      for (size_t i = 0; i < plain->history().size(); ++i) {
        EXPECT_EQ(t->history()[i].loss, plain->history()[i].loss)
            << family << " " << RecomputeName(mode) << " step " << i + 1 << " seed " << seed_;
        EXPECT_EQ(t->history()[i].grad_norm, plain->history()[i].grad_norm);
      }
      EXPECT_EQ(Weights(*t), Weights(*plain)) << family << " " << RecomputeName(mode);
    }
  }
}

TEST_F(TrainerTest, RetentionKeepsTheNewestCheckpoints) {
  TrainConfig c = Config("gpt2", 12, 1);
  c.train.keep_checkpoints = 2;
  auto t = Make(c, Run("keep"), false);
  ASSERT_TRUE(t->Run().ok());
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(Run("keep") + "/checkpoints"))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"step_00000008", "step_00000012"}));
  EXPECT_TRUE(fs::exists(Run("keep") + "/metrics.jsonl"));
  EXPECT_TRUE(fs::exists(Run("keep") + "/train_config.json"));
  // The checkpoint is an HF model dir that loads on its own.
  auto m = LoadModelDir(Run("keep") + "/checkpoints/step_00000012");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Weights(*t), std::vector<float>((*m)->params().data(),
                                            (*m)->params().data() + (*m)->params().size()));
}

// train.peak_tflops is the MFU's denominator: every metrics line's mfu is
// its tokens/s times the model's training FLOPs per token over that peak.
TEST_F(TrainerTest, MfuIsAgainstTheGivenPeak) {
  std::mt19937 g(seed_);
  const double peak_tflops = std::uniform_real_distribution<double>(1e-3, 1.0)(g);
  TrainConfig c = Config("llama", 4, 1, {{"peak_tflops", peak_tflops}});
  auto t = Make(c, Run("mfu"), false);
  ASSERT_TRUE(t->Run().ok());
  const double flops_per_token = TrainingFlopsPerToken(t->model().config(), c.train.seq_len);
  std::ifstream in(Run("mfu") + "/metrics.jsonl");
  int lines = 0;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json m = nlohmann::json::parse(line);
    if (!m.contains("mfu")) continue;
    const double expect = m["tokens_per_s"].get<double>() * flops_per_token / (peak_tflops * 1e12);
    EXPECT_NEAR(m["mfu"].get<double>(), expect, 1e-12 + 1e-9 * expect) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 4);
}

// A kill at any point of a checkpoint write leaves the previous checkpoint
// loadable, and resuming from it reproduces the uninterrupted run. The kill
// is real: `seek train --resume` runs as a child process told to die (exit
// 137, no cleanup) at a point inside the step-8 save.
TEST_F(TrainerTest, KillDuringCheckpointWriteKeepsTheLastGoodOne) {
  auto straight = Make(Config("llama", 8), Run("ref"), false);
  ASSERT_TRUE(straight->Run().ok());
  const std::string cfg = Run("config.json");
  {
    std::ofstream out(cfg);
    out << Config("llama", 8).ToJson().dump(2);
  }
  for (const char* point : {"after_weights", "before_rename", "after_rename"}) {
    const std::string dir = Run("crash_") + point;
    ASSERT_TRUE(Make(Config("llama", 8), dir, false, 4)->Run().ok());  // checkpoint at step 4
    const std::string cmd = std::string("SEEK_TEST_CRASH_POINT=") + point + " " + SEEK_BINARY +
                            " train --config " + cfg + " --out " + dir + " --resume >/dev/null 2>&1";
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc)) << cmd;
    ASSERT_EQ(WEXITSTATUS(rc), 137) << cmd;
    auto latest = LatestCheckpoint(dir);
    ASSERT_TRUE(latest.ok());
    const std::string want = std::string(point) == "after_rename" ? "step_00000008" : "step_00000004";
    EXPECT_EQ(fs::path(*latest).filename().string(), want) << point;
    auto resumed = Make(Config("llama", 8), dir, true);
    ASSERT_NE(resumed, nullptr);
    ASSERT_TRUE(resumed->Run().ok());
    EXPECT_EQ(Weights(*resumed), Weights(*straight)) << point << " seed " << seed_;
  }
}

TEST_F(TrainerTest, NonFiniteLossStopsOrSkips) {
  auto t = Make(Config("gpt2", 4), Run("nan"), false);
  t->model().params().data()[0] = NAN;  // token 0's embedding
  t->model().params().Param("norm_f.weight")[0] = NAN;
  Status s = t->Run();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("step 1: the loss is nan"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("nan_policy"), std::string::npos);

  TrainConfig c = Config("gpt2", 3);
  c.train.nan_policy = NanPolicy::kSkip;
  auto skip = Make(c, Run("nan_skip"), false);
  skip->model().params().Param("norm_f.weight")[0] = NAN;
  std::vector<float> before = Weights(*skip);
  ASSERT_TRUE(skip->Run().ok());
  for (const StepRecord& r : skip->history()) EXPECT_TRUE(r.skipped);
  std::vector<float> after = Weights(*skip);
  ASSERT_EQ(before.size(), after.size());
  EXPECT_EQ(0, std::memcmp(before.data(), after.data(), before.size() * 4)) << "skipped steps moved weights";
}

TEST_F(TrainerTest, ResumeRejectsAnotherModelAndFreshRunRefusesToOverwrite) {
  ASSERT_TRUE(Make(Config("gpt2", 4), Run("a"), false)->Run().ok());
  auto other = Trainer::Create(Config("llama", 4), TrainOptions{Run("a"), true, 0, true});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("different model"), std::string::npos)
      << other.status().ToString();
  auto again = Trainer::Create(Config("gpt2", 4), TrainOptions{Run("a"), false, 0, true});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("--resume"), std::string::npos);
  auto none = Trainer::Create(Config("gpt2", 4), TrainOptions{Run("empty"), true, 0, true});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no checkpoint"), std::string::npos);
}

// A disk that fills up during a checkpoint: a clear error naming the file,
// and the previous checkpoint intact. Needs root to mount a small tmpfs.
TEST_F(TrainerTest, FullDiskDuringCheckpointKeepsThePreviousOne) {
  const std::string mnt = Run("small_disk");
  fs::create_directories(mnt);
  // One checkpoint of this model is ~0.34 MB (weights + two moments); room for about 1.5.
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=512k") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  TrainConfig c = Config("gpt2", 8, 1);
  c.train.eval_every = 0;
  auto t = Make(c, mnt + "/run", false);
  Status s = t->Run();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();
  EXPECT_NE(s.message().find("No space left"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find(mnt), std::string::npos) << s.ToString();
  auto latest = LatestCheckpoint(mnt + "/run");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(fs::path(*latest).filename(), "step_00000004");
  EXPECT_TRUE(LoadModelDir(*latest).ok());
  ::umount(mnt.c_str());
}

}  // namespace
}  // namespace seek
