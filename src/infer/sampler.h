// infer/sampler.h — the sampling chain of one request.
//
// For each new token, on the model's raw logits [V] f32:
//   1. logit_bias: logits[id] += bias.
//   2. repetition_penalty r (HF/CTRL): for every id in prompt or output,
//      logit > 0 ? logit / r : logit * r.
//   3. presence / frequency penalties (OpenAI): for every id in the output
//      with count c > 0, logit -= presence + c * frequency.
//   4. temperature == 0: greedy, the largest logit (ties: the smallest id).
//      Otherwise p = softmax(logit / temperature), then the filters in order,
//      each on the survivors of the one before, candidates ordered by
//      (p descending, id ascending):
//        top_k > 0:  keep the first k;
//        top_p < 1:  keep the shortest prefix whose mass (renormalised over
//                    the survivors) reaches top_p (>= 1 token);
//        min_p > 0:  keep p >= min_p * p_max.
//      Then draw u in [0, 1) from the request's own Rng and walk the kept
//      candidates in order until their renormalised mass passes u. With no
//      filter active the walk is over ids in ascending order (no sort).
// logprobs come from the RAW logits (log_softmax before any step above), as
// OpenAI reports and as `seek eval` computes per-token losses.
// Determinism: everything random comes from the request's Rng seeded by its
// seed, so the same seed and request give the same tokens whatever else is
// in the batch.
// Thread-safety: a RequestSampler belongs to one request; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/random.h"
#include "core/status.h"

namespace seek {

struct SamplingParams {
  double temperature = 1.0;  // 0: greedy; else (0, 100]
  int64_t top_k = 0;         // 0: off
  double top_p = 1.0;        // (0, 1]
  double min_p = 0.0;        // [0, 1]
  double repetition_penalty = 1.0;  // (0, 100]; 1: off
  double presence_penalty = 0.0;    // [-2, 2]
  double frequency_penalty = 0.0;   // [-2, 2]
  std::vector<std::pair<int32_t, float>> logit_bias;  // ids in [0, V), bias in [-100, 100]
  std::optional<uint64_t> seed;  // none: the engine draws one
  int64_t max_tokens = 16;       // >= 1
  std::vector<int32_t> stop_token_ids;  // generation ends after emitting one
  std::vector<std::string> stop;        // at most 16 non-empty strings, not in the output
  bool ignore_eos = false;              // do not stop at the model's end-of-text id
  int64_t logprobs = -1;                // -1: none; n >= 0: chosen token's + top n (n <= 20)

  // A precise InvalidArgument message for the first bad value.
  Status Validate(int64_t vocab_size) const;
};

struct TokenLogprobs {
  float logprob = 0;                               // of the chosen token
  std::vector<std::pair<int32_t, float>> top;      // top n (id, logprob), best first
};

// log_softmax of `logits` at `id` and the top n (logprob desc, id asc).
void ComputeLogprobs(const float* logits, int64_t V, int32_t id, int64_t n, TokenLogprobs* out);

// Steps 1-3 on `logits` in place. counts: output id -> occurrences.
void ApplyPenalties(const SamplingParams& p, const std::vector<int32_t>& prompt,
                    const std::unordered_map<int32_t, int32_t>& counts, float* logits, int64_t V);

// Step 4's candidate set for temperature > 0: (id, probability renormalised
// over the kept set), in walk order. Exposed for tests.
std::vector<std::pair<int32_t, double>> CandidateDistribution(const SamplingParams& p,
                                                              const float* logits, int64_t V);

// Draws one id from CandidateDistribution (or the argmax when temperature == 0).
int32_t SampleToken(const SamplingParams& p, const float* logits, int64_t V, Rng* rng);

class RequestSampler {
 public:
  RequestSampler(SamplingParams params, std::vector<int32_t> prompt, uint64_t seed);
  // Chooses the next token from raw logits [V] (copied; not modified) and
  // records it; fills *lp when params.logprobs >= 0 and lp is not null.
  int32_t Next(const float* logits, int64_t V, TokenLogprobs* lp);
  const SamplingParams& params() const { return params_; }
  const std::vector<int32_t>& output() const { return output_; }

 private:
  SamplingParams params_;
  std::vector<int32_t> prompt_, output_;
  std::unordered_map<int32_t, int32_t> counts_;
  Rng rng_;
  std::vector<float> work_;  // [V]
};

}  // namespace seek
