#include "model/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/file_util.h"
#include "model/family.h"
#include "model_test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::TinyConfig;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("seek_ckpt_" + std::to_string(::getpid()) + "_" + std::to_string(FreshSeed() % 100000));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Dir() const { return dir_.string(); }
  std::filesystem::path dir_;
};

TEST_F(CheckpointTest, RoundTripIsBitIdenticalForEveryFamily) {
  for (bool tied : {false, true}) {
    for (const char* family : {"gpt2", "llama"}) {
      ModelConfig c = TinyConfig(family, tied);
      auto model = std::move(Transformer::Create(c).value());
      model->params().Initialize(c, FreshSeed());
      ASSERT_TRUE(SaveModelDir(*model, Dir()).ok());
      StatusOr<std::unique_ptr<Transformer>> loaded = LoadModelDir(Dir());
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      const ParamStore& a = model->params();
      const ParamStore& b = (*loaded)->params();
      ASSERT_EQ(a.size(), b.size());
      for (int64_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], b.data()[i]) << family << i;
      // The file holds exactly the family's HF names.
      auto file = SafetensorsFile::Open(Dir() + "/model.safetensors");
      ASSERT_TRUE(file.ok());
      auto names = FindFamily(c.family)->tensors(c);
      EXPECT_EQ(file->entries().size(), names.size());
      EXPECT_EQ(file->Find("lm_head.weight") != nullptr, !c.tie_embeddings);
    }
  }
}

TEST_F(CheckpointTest, Bf16CheckpointLoadsWithBf16Rounding) {
  ModelConfig c = TinyConfig("llama");
  auto model = std::move(Transformer::Create(c).value());
  model->params().Initialize(c, FreshSeed());
  ASSERT_TRUE(SaveModelDir(*model, Dir(), DType::kBF16).ok());
  auto loaded = LoadModelDir(Dir());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  for (int64_t i = 0; i < model->params().size(); ++i) {
    float x = model->params().data()[i];
    ASSERT_EQ((*loaded)->params().data()[i], Bf16ToF32(F32ToBf16(x)));
  }
}

// Rewrites the saved model.safetensors through `edit` and expects LoadModelDir
// to fail with `code` and a message containing `mention`.
void ExpectLoadError(const std::string& dir,
                     const std::function<void(std::vector<SafetensorsTensor>*)>& edit,
                     StatusCode code, const std::string& mention) {
  auto file = SafetensorsFile::Open(dir + "/model.safetensors");
  ASSERT_TRUE(file.ok());
  std::vector<Tensor> keep;
  std::vector<SafetensorsTensor> tensors;
  for (const auto& e : file->entries()) {
    Tensor t = Tensor::F32(e.shape);
    ASSERT_TRUE(file->ReadF32(e.name, t.f32(), t.numel()).ok());
    tensors.push_back({e.name, t.view(), DType::kF32});
    keep.push_back(std::move(t));
  }
  edit(&tensors);
  std::string path = dir + "/edited";
  std::filesystem::create_directories(path);
  std::filesystem::copy_file(dir + "/config.json", path + "/config.json",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(WriteSafetensors(path + "/model.safetensors", tensors).ok());
  auto r = LoadModelDir(path);
  ASSERT_FALSE(r.ok()) << "expected an error mentioning " << mention;
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(mention), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("model.safetensors"), std::string::npos)
      << r.status().ToString();
}

TEST_F(CheckpointTest, MissingExtraAndMisshapenTensorsAreNamed) {
  ModelConfig c = TinyConfig("llama");
  auto model = std::move(Transformer::Create(c).value());
  model->params().Initialize(c, FreshSeed());
  ASSERT_TRUE(SaveModelDir(*model, Dir()).ok());
  const std::string k1 = "model.layers.1.self_attn.k_proj.weight";
  ExpectLoadError(Dir(), [&](auto* t) {
    std::erase_if(*t, [&](const SafetensorsTensor& x) { return x.name == k1; });
  }, StatusCode::kNotFound, k1);
  Tensor extra = Tensor::F32({2});
  ExpectLoadError(Dir(), [&](auto* t) { t->push_back({"model.layers.9.foo", extra.view(), DType::kF32}); },
                  StatusCode::kInvalidArgument, "unexpected tensor 'model.layers.9.foo'");
  Tensor wrong = Tensor::F32({8, 32});  // k_proj must be [2 kv heads * 8, 32]
  ExpectLoadError(Dir(), [&](auto* t) {
    for (auto& x : *t)
      if (x.name == k1) x.data = wrong.view();
  }, StatusCode::kInvalidArgument, "has shape [8, 32], but the config implies [16, 32]");
}

TEST_F(CheckpointTest, BadDirectoriesAndFilesAreClearErrors) {
  auto r = LoadModelDir(Dir() + "/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("config.json"), std::string::npos) << r.status().ToString();

  ModelConfig c = TinyConfig("gpt2");
  auto model = std::move(Transformer::Create(c).value());
  ASSERT_TRUE(SaveModelDir(*model, Dir()).ok());
  // Truncate the weights file.
  std::string bytes = ReadFileToString(Dir() + "/model.safetensors").value();
  ASSERT_TRUE(WriteFileAtomic(Dir() + "/model.safetensors", bytes.substr(0, bytes.size() / 2)).ok());
  r = LoadModelDir(Dir());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("model.safetensors"), std::string::npos)
      << r.status().ToString();
  // A config whose model does not match the weights (tied vs untied).
  ASSERT_TRUE(SaveModelDir(*model, Dir()).ok());
  nlohmann::json j = ModelConfigToJson(c);
  j["tie_word_embeddings"] = false;
  ASSERT_TRUE(WriteFileAtomic(Dir() + "/config.json", j.dump()).ok());
  r = LoadModelDir(Dir());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("lm_head.weight"), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace seek
