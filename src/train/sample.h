// train/sample.h — plain temperature / top-k sampling from a model, for the
// trainer's periodic samples and `seek sample`. Recomputes the whole window
// each token (no KV cache): fine for a few hundred tokens of a small model;
// the inference engine (src/infer/) is the fast path.
#pragma once

#include <cstdint>
#include <vector>

#include "core/random.h"
#include "core/status.h"
#include "model/transformer.h"

namespace seek {

struct SampleOptions {
  int64_t max_new_tokens = 200;
  double temperature = 0.8;  // 0: greedy
  int64_t top_k = 40;        // 0: whole vocabulary
  int32_t stop_token = -1;   // generation ends after emitting it; -1: none
};

// Returns only the new tokens. The prompt must be non-empty.
StatusOr<std::vector<int32_t>> SampleTokens(Transformer* model, const std::vector<int32_t>& prompt,
                                            const SampleOptions& options, Rng* rng);

}  // namespace seek
