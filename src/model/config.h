// model/config.h — the model's hyper-parameters and its architecture description.
//
// A ModelConfig is what Seek knows about a model, independent of family.
// Families (gpt2.cc, llama.cc, ...) translate between it and the Hugging Face
// config.json their users know, and describe their architecture as data
// (norm kind, position encoding, MLP kind, biases) that the one composable
// block (block.h) reads. Nothing outside a family file switches on its name.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

enum class NormKind { kLayerNorm, kRmsNorm };
enum class PositionKind { kLearned, kRope };
enum class MlpKind { kGelu, kSwiGlu };

struct Architecture {
  NormKind norm = NormKind::kLayerNorm;
  PositionKind position = PositionKind::kLearned;
  MlpKind mlp = MlpKind::kGelu;
  bool linear_bias = true;  // q/k/v/o and MLP projections carry biases
  bool norm_bias = true;    // norms carry a bias (LayerNorm)
};

struct ModelConfig {
  std::string family;  // "gpt2", "llama"
  Architecture arch;
  int64_t vocab_size = 0;
  int64_t max_positions = 0;  // longest sequence (learned table size / RoPE table)
  int64_t hidden = 0;         // C
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_kv_head = 0;
  int64_t intermediate = 0;  // MLP inner width
  double norm_eps = 1e-5;
  double rope_theta = 10000.0;
  bool tie_embeddings = true;
  // Initialisation (GPT-2/Megatron): weights ~ N(0, init_std), residual output
  // projections ~ N(0, init_std / sqrt(2 * n_layer)), biases 0, norms 1.
  double init_std = 0.02;
  // 0: head_dim() is hidden / n_head. A tensor-parallel rank's local config
  // (model/tensor_parallel.h) holds n_head / tp heads of the full width.
  int64_t explicit_head_dim = 0;
  // Optional HF fields kept so a round trip through Seek loses nothing the
  // user wrote (bos/eos ids, torch_dtype, ...): written back as they came.
  nlohmann::json extra = nlohmann::json::object();

  int64_t head_dim() const { return explicit_head_dim ? explicit_head_dim : hidden / n_head; }
  int64_t qkv_dim() const { return (n_head + 2 * n_kv_head) * head_dim(); }
  // Checks sizes and divisibility; `source` names the file in messages.
  Status Validate(const std::string& source) const;
};

// Reads an HF config.json text. The family comes from "model_type".
StatusOr<ModelConfig> ParseModelConfig(const std::string& json_text, const std::string& source);
StatusOr<ModelConfig> LoadModelConfig(const std::string& path);
// The HF config.json for this config (family keys, model_type, architectures).
nlohmann::json ModelConfigToJson(const ModelConfig& config);

}  // namespace seek
