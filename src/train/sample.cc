#include "train/sample.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace seek {

StatusOr<std::vector<int32_t>> SampleTokens(Transformer* model, const std::vector<int32_t>& prompt,
                                            const SampleOptions& o, Rng* rng) {
  if (prompt.empty()) return InvalidArgumentError("the prompt must hold at least one token");
  const int64_t V = model->config().vocab_size, window = model->config().max_positions;
  std::vector<int32_t> seq = prompt, out;
  std::vector<float> probs(V);
  std::vector<int32_t> order(V);
  for (int64_t i = 0; i < o.max_new_tokens; ++i) {
    const int64_t T = std::min<int64_t>(static_cast<int64_t>(seq.size()), window);
    Batch b{1, T, seq.data() + seq.size() - T, nullptr, nullptr};
    RETURN_IF_ERROR(model->Forward(b).status());
    const float* logits = model->logits() + (T - 1) * V;
    int32_t next = 0;
    if (o.temperature <= 0) {
      next = static_cast<int32_t>(std::max_element(logits, logits + V) - logits);
    } else {
      std::iota(order.begin(), order.end(), 0);
      int64_t k = o.top_k > 0 ? std::min(o.top_k, V) : V;
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [&](int32_t a, int32_t c) { return logits[a] > logits[c]; });
      const double mx = logits[order[0]];
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) {
        probs[j] = static_cast<float>(std::exp((logits[order[j]] - mx) / o.temperature));
        sum += probs[j];
      }
      double r = rng->Uniform() * sum, acc = 0;
      next = order[k - 1];
      for (int64_t j = 0; j < k; ++j) {
        acc += probs[j];
        if (r < acc) {
          next = order[j];
          break;
        }
      }
    }
    seq.push_back(next);
    out.push_back(next);
    if (next == o.stop_token) break;
  }
  return out;
}

}  // namespace seek
