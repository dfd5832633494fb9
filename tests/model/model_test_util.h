// Tiny configs and random batches for model tests.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/random.h"
#include "model/config.h"

namespace seek::testing {

inline uint64_t FreshSeed() { return std::random_device{}() * 0x9e3779b97f4a7c15ull + 1; }

inline ModelConfig TinyConfig(const std::string& family, bool tied = false, int layers = 2) {
  std::string json =
      family == "gpt2"
          ? R"({"model_type": "gpt2", "vocab_size": 101, "n_positions": 64, "n_embd": 32,
               "n_layer": )" + std::to_string(layers) + R"(, "n_head": 4})"
          : R"({"model_type": "llama", "vocab_size": 101, "hidden_size": 32,
               "intermediate_size": 48, "num_hidden_layers": )" + std::to_string(layers) +
                R"(, "num_attention_heads": 4, "num_key_value_heads": 2,
               "max_position_embeddings": 64, "tie_word_embeddings": )" +
                (tied ? "true" : "false") + "}";
  StatusOr<ModelConfig> c = ParseModelConfig(json, "tiny");
  if (!c.ok()) std::abort();
  return *c;
}

// For tensor-parallel tests: TinyConfig, untied, with a vocabulary (97) that
// divides by neither 2 nor 4. gpt2-like: LayerNorm, GELU, biases, learned
// positions; llama-like: RMSNorm, SwiGLU, RoPE, 2 KV heads for 4 heads.
inline ModelConfig TinyTpConfig(const std::string& family) {
  ModelConfig c = TinyConfig(family, /*tied=*/false);
  c.vocab_size = 97;
  return c;
}

struct RandomBatch {
  int64_t B, T;
  std::vector<int32_t> tokens, targets, docs;
};

// Rows packed from documents of random lengths (>= 1); a few targets are -1.
inline RandomBatch MakeBatch(Rng& rng, int64_t B, int64_t T, int64_t V) {
  RandomBatch b{B, T, {}, {}, {}};
  for (int64_t r = 0; r < B; ++r) {
    int32_t doc = 0;
    for (int64_t t = 0; t < T; ++t) {
      if (t > 0 && rng.Below(6) == 0) ++doc;
      b.tokens.push_back(static_cast<int32_t>(rng.Below(V)));
      b.targets.push_back(rng.Below(10) == 0 ? -1 : static_cast<int32_t>(rng.Below(V)));
      b.docs.push_back(doc);
    }
  }
  return b;
}

}  // namespace seek::testing
