#include "model/config.h"

#include <gtest/gtest.h>

#include "model/family.h"

namespace seek {
namespace {

const char* kLlama = R"({"model_type": "llama", "vocab_size": 1003, "hidden_size": 64,
  "intermediate_size": 176, "num_hidden_layers": 2, "num_attention_heads": 4,
  "num_key_value_heads": 2, "max_position_embeddings": 128, "rope_theta": 500000.0,
  "rms_norm_eps": 1e-5, "bos_token_id": 1, "torch_dtype": "float32"})";

TEST(ModelConfig, ParsesLlamaAndKeepsUnknownKeys) {
  StatusOr<ModelConfig> c = ParseModelConfig(kLlama, "config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->family, "llama");
  EXPECT_EQ(c->arch.norm, NormKind::kRmsNorm);
  EXPECT_EQ(c->arch.position, PositionKind::kRope);
  EXPECT_EQ(c->arch.mlp, MlpKind::kSwiGlu);
  EXPECT_FALSE(c->arch.linear_bias);
  EXPECT_EQ(c->n_kv_head, 2);
  EXPECT_EQ(c->head_dim(), 16);
  EXPECT_EQ(c->qkv_dim(), (4 + 2 * 2) * 16);
  EXPECT_DOUBLE_EQ(c->rope_theta, 500000.0);
  EXPECT_FALSE(c->tie_embeddings);
  EXPECT_EQ(c->extra["bos_token_id"], 1);
  // Round trip: written JSON parses to the same config.
  nlohmann::json j = ModelConfigToJson(*c);
  EXPECT_EQ(j["architectures"][0], "LlamaForCausalLM");
  EXPECT_EQ(j["bos_token_id"], 1);
  StatusOr<ModelConfig> again = ParseModelConfig(j.dump(), "round trip");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ModelConfigToJson(*again), j);
}

TEST(ModelConfig, Gpt2DefaultsFollowHf) {
  StatusOr<ModelConfig> c = ParseModelConfig(R"({"model_type": "gpt2", "n_embd": 96,
    "n_layer": 3, "n_head": 6, "vocab_size": 500, "n_positions": 64})", "c.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->intermediate, 4 * 96);
  EXPECT_TRUE(c->tie_embeddings);
  EXPECT_TRUE(c->arch.linear_bias);
  EXPECT_EQ(c->n_kv_head, 6);
  EXPECT_DOUBLE_EQ(c->norm_eps, 1e-5);
}

struct BadCase {
  const char* json;
  StatusCode code;
  const char* must_mention;
};

TEST(ModelConfig, BadInputGivesClearErrors) {
  const BadCase cases[] = {
      {"{\"model_type\": \"gpt2\",", StatusCode::kInvalidArgument, "not valid JSON"},
      {"[1, 2]", StatusCode::kInvalidArgument, "JSON object"},
      {"{}", StatusCode::kInvalidArgument, "model_type"},
      {R"({"model_type": "bert"})", StatusCode::kUnimplemented, "gpt2, llama"},
      {R"({"model_type": "gpt2", "n_embd": 64, "n_head": 5})", StatusCode::kInvalidArgument,
       "5 attention heads do not divide the hidden size 64"},
      {R"({"model_type": "gpt2", "n_embd": "64"})", StatusCode::kInvalidArgument, "'n_embd'"},
      {R"({"model_type": "gpt2", "n_layer": 0})", StatusCode::kInvalidArgument, "number of layers"},
      {R"({"model_type": "gpt2", "vocab_size": -3})", StatusCode::kInvalidArgument, "vocab_size"},
      {R"({"model_type": "gpt2", "n_embd": 2.5})", StatusCode::kInvalidArgument, "integer"},
      {R"({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
          "num_key_value_heads": 3})", StatusCode::kInvalidArgument, "num_key_value_heads = 3"},
      {R"({"model_type": "llama", "hidden_size": 60, "num_attention_heads": 4})",
       StatusCode::kInvalidArgument, "even head dimension"},
      {R"({"model_type": "llama", "rms_norm_eps": -1})", StatusCode::kInvalidArgument, "epsilon"},
      {R"({"model_type": "llama", "tie_word_embeddings": "yes"})", StatusCode::kInvalidArgument,
       "tie_word_embeddings"},
      {R"({"model_type": "gpt2", "activation_function": "relu"})", StatusCode::kUnimplemented,
       "relu"},
      {R"({"model_type": "gpt2", "n_embd": 131072, "n_head": 16, "vocab_size": 1000000000})",
       StatusCode::kInvalidArgument, "parameters"},
  };
  for (const BadCase& c : cases) {
    StatusOr<ModelConfig> r = ParseModelConfig(c.json, "bad/config.json");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.must_mention), std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("bad/config.json"), std::string::npos)
        << r.status().ToString();
  }
}

TEST(Family, RegistryKnowsBothFamilies) {
  ASSERT_NE(FindFamily("gpt2"), nullptr);
  ASSERT_NE(FindFamily("llama"), nullptr);
  EXPECT_EQ(FindFamily("mystery"), nullptr);
  EXPECT_EQ(KnownFamilies(), "gpt2, llama");
}

}  // namespace
}  // namespace seek
