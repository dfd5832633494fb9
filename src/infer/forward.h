// infer/forward.h — the model's forward pass for inference over a paged KV cache.
//
// One call runs one engine step: new tokens of several sequences packed end
// to end ([N] tokens, no padding), each sequence continuing from the tokens
// already in its cache (prefill chunks and single decode tokens mix freely).
// Keys and values of the new tokens are written into the cache; attention
// reads them through the block tables (kernels/paged_attention.h). The math
// is the training model's own (model/block.h halves, norms, GEMM, RoPE), so
// logits equal the full forward pass up to summation order.
// Borrows the Transformer's parameters: the model must outlive this object
// and not change during a call.
// Thread-safety: one call at a time (kernels use all OpenMP threads).
#pragma once

#include <cstdint>
#include <vector>

#include "core/aligned.h"
#include "core/status.h"
#include "infer/kv_cache.h"
#include "kernels/rope.h"
#include "model/block.h"
#include "model/transformer.h"

namespace seek {

struct StepSequence {
  int64_t seq = 0;                  // KvCache sequence id
  const int32_t* tokens = nullptr;  // [n] new tokens
  int64_t n = 0;                    // >= 1
  bool want_logits = false;         // logits of the last new token
};

class InferenceForward {
 public:
  explicit InferenceForward(const Transformer* model);

  // For each step sequence, positions [cache->num_tokens(seq), + n) are
  // computed and committed to the cache (room must have been Reserve()d).
  // Errors: ids outside the vocabulary, positions past max_positions.
  Status Forward(const std::vector<StepSequence>& step, KvCache* cache);
  // [n_logits, vocab] for the step sequences with want_logits, in step order;
  // valid until the next Forward.
  const float* logits() const { return logits_.data(); }
  int64_t n_logits() const { return n_logits_; }

 private:
  void EnsureBuffers(int64_t N);

  const Transformer* model_;
  const ModelConfig& c_;
  RopeTable rope_;
  std::vector<BlockParams> layers_;  // [n_layer] pointers into the model's parameters
  int64_t cap_ = 0;        // tokens the buffers hold
  AlignedBuffer mem_;
  BlockActs acts_{};       // [N, ...] reused by every layer
  float* x_a_ = nullptr;   // [N, C] residual stream (ping)
  float* x_b_ = nullptr;   // [N, C] (pong)
  std::vector<int32_t> pos_, ids_;  // [N]
  std::vector<float> last_;   // [n_logits, C] final-norm rows
  std::vector<float> stat_a_, stat_b_;  // [n_logits]
  std::vector<float> logits_;  // [n_logits, V]
  int64_t n_logits_ = 0;
};

}  // namespace seek
