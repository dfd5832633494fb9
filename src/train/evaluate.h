// train/evaluate.h — mean loss and perplexity of a model over data.
//
// Over a token shard: every document, packed into [B, T] rows as the loader
// packs them (targets never cross a document), each token counted once.
// Over a text file of token-id lines (one JSON array per line): each line is
// one sequence, scored on its next-token predictions (truncated to the
// model's max positions); with `token_losses`, also each sequence's per-token
// losses (entry t-1: -log p(seq[t] | seq[..t)), nats), one vector per sequence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/transformer.h"

namespace seek {

struct EvalResult {
  double loss = 0;        // mean over scored tokens, nats
  double perplexity = 0;  // exp(loss)
  int64_t tokens = 0;     // scored tokens
};

StatusOr<EvalResult> EvaluateShard(Transformer* model, const std::string& shard, int64_t batch,
                                   int64_t seq_len);
StatusOr<EvalResult> EvaluateSequences(Transformer* model,
                                       const std::vector<std::vector<int32_t>>& sequences,
                                       std::vector<std::vector<double>>* token_losses = nullptr);
// Parses one JSON array of integers per non-empty line; errors name the line.
StatusOr<std::vector<std::vector<int32_t>>> ReadTokenIdLines(const std::string& path);

}  // namespace seek
