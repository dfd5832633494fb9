#include "infer/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

namespace seek {
namespace {

bool InRange(double x, double lo, double hi) { return std::isfinite(x) && x >= lo && x <= hi; }

}  // namespace

Status SamplingParams::Validate(int64_t V) const {
  if (!InRange(temperature, 0, 100))
    return InvalidArgumentError("temperature {} must be in [0, 100]", temperature)
        .WithField("temperature");
  if (top_k < 0)
    return InvalidArgumentError("top_k {} must be >= 0 (0: off)", top_k).WithField("top_k");
  if (!InRange(top_p, 0, 1) || top_p == 0)
    return InvalidArgumentError("top_p {} must be in (0, 1]", top_p).WithField("top_p");
  if (!InRange(min_p, 0, 1))
    return InvalidArgumentError("min_p {} must be in [0, 1]", min_p).WithField("min_p");
  if (!InRange(repetition_penalty, 0, 100) || repetition_penalty == 0)
    return InvalidArgumentError("repetition_penalty {} must be in (0, 100]", repetition_penalty)
        .WithField("repetition_penalty");
  if (!InRange(presence_penalty, -2, 2))
    return InvalidArgumentError("presence_penalty {} must be in [-2, 2]", presence_penalty)
        .WithField("presence_penalty");
  if (!InRange(frequency_penalty, -2, 2))
    return InvalidArgumentError("frequency_penalty {} must be in [-2, 2]", frequency_penalty)
        .WithField("frequency_penalty");
  for (const auto& [id, bias] : logit_bias) {
    if (id < 0 || id >= V)
      return InvalidArgumentError("logit_bias token id {} is outside the vocabulary [0, {})", id, V)
          .WithField("logit_bias");
    if (!InRange(bias, -100, 100))
      return InvalidArgumentError("logit_bias {} for token {} must be in [-100, 100]", bias, id)
          .WithField("logit_bias");
  }
  if (max_tokens < 1)
    return InvalidArgumentError("max_tokens {} must be >= 1", max_tokens).WithField("max_tokens");
  for (int32_t id : stop_token_ids)
    if (id < 0 || id >= V)
      return InvalidArgumentError("stop token id {} is outside the vocabulary [0, {})", id, V)
          .WithField("stop_token_ids");
  if (stop.size() > 16)
    return InvalidArgumentError("{} stop strings given; at most 16 are allowed", stop.size());
  for (const std::string& s : stop) {
    if (s.empty()) return InvalidArgumentError("stop strings must not be empty").WithField("stop");
    if (s.size() > 256)
      return InvalidArgumentError("a stop string of {} bytes is too long (at most 256)", s.size());
  }
  if (logprobs < -1 || logprobs > 20)
    return InvalidArgumentError("logprobs {} must be in [0, 20] (or absent)", logprobs)
        .WithField("logprobs");
  return Status::Ok();
}

void ComputeLogprobs(const float* logits, int64_t V, int32_t id, int64_t n, TokenLogprobs* out) {
  const float mx = *std::max_element(logits, logits + V);
  double sum = 0;
  for (int64_t i = 0; i < V; ++i) sum += std::exp(static_cast<double>(logits[i]) - mx);
  const double lse = mx + std::log(sum);
  out->logprob = static_cast<float>(logits[id] - lse);
  out->top.clear();
  n = std::min<int64_t>(n, V);
  if (n <= 0) return;
  std::vector<int32_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  for (int64_t i = 0; i < n; ++i)
    out->top.emplace_back(order[i], static_cast<float>(logits[order[i]] - lse));
}

void ApplyPenalties(const SamplingParams& p, const std::vector<int32_t>& prompt,
                    const std::unordered_map<int32_t, int32_t>& counts, float* logits, int64_t V) {
  for (const auto& [id, bias] : p.logit_bias) logits[id] += bias;
  if (p.repetition_penalty != 1.0) {
    const float r = static_cast<float>(p.repetition_penalty);
    std::unordered_set<int32_t> seen(prompt.begin(), prompt.end());
    for (const auto& kv : counts) seen.insert(kv.first);
    for (int32_t id : seen) {
      if (id < 0 || id >= V) continue;
      logits[id] = logits[id] > 0 ? logits[id] / r : logits[id] * r;
    }
  }
  if (p.presence_penalty != 0.0 || p.frequency_penalty != 0.0) {
    for (const auto& [id, c] : counts) {
      if (c <= 0 || id < 0 || id >= V) continue;
      logits[id] -= static_cast<float>(p.presence_penalty + c * p.frequency_penalty);
    }
  }
}

std::vector<std::pair<int32_t, double>> CandidateDistribution(const SamplingParams& p,
                                                              const float* logits, int64_t V) {
  const double inv_t = 1.0 / p.temperature;
  const float mx = *std::max_element(logits, logits + V);
  std::vector<std::pair<int32_t, double>> c(V);
  double sum = 0;
  for (int64_t i = 0; i < V; ++i) {
    const double e = std::exp((static_cast<double>(logits[i]) - mx) * inv_t);
    c[i] = {static_cast<int32_t>(i), e};
    sum += e;
  }
  for (auto& x : c) x.second /= sum;
  const bool filter = p.top_k > 0 || p.top_p < 1.0 || p.min_p > 0.0;
  if (!filter) return c;
  auto better = [](const std::pair<int32_t, double>& a, const std::pair<int32_t, double>& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  };
  // top_k: the k best as a set (unordered yet).
  if (p.top_k > 0 && p.top_k < V) {
    std::nth_element(c.begin(), c.begin() + (p.top_k - 1), c.end(), better);
    c.resize(p.top_k);
  }
  double total = 0;
  for (const auto& x : c) total += x.second;
  // top_p and min_p each keep a prefix of the sorted survivors; sort only as
  // many as needed to find both prefixes (a peaked distribution needs a few
  // dozen of a large vocabulary), growing the sorted prefix when not enough.
  const double p_max = std::min_element(c.begin(), c.end(), better)->second;  // the best
  const double cut = p.min_p * p_max;
  size_t sorted = std::min<size_t>(c.size(), 64);
  size_t n_top_p = c.size(), n_min_p = c.size();
  for (;;) {
    std::partial_sort(c.begin(), c.begin() + sorted, c.end(), better);
    bool top_p_known = p.top_p >= 1.0, min_p_known = p.min_p <= 0.0;
    if (!top_p_known) {
      double acc = 0;
      for (size_t i = 0; i < sorted; ++i) {
        acc += c[i].second;
        if (acc >= p.top_p * total) {
          n_top_p = i + 1;
          top_p_known = true;
          break;
        }
      }
    }
    if (!min_p_known) {
      for (size_t i = 1; i < sorted; ++i) {
        if (c[i].second < cut) {
          n_min_p = i;
          min_p_known = true;
          break;
        }
      }
    }
    const bool need_all = p.top_p >= 1.0 && p.min_p <= 0.0;  // top_k alone: sort the k
    if (sorted == c.size() || (top_p_known && min_p_known && !need_all)) break;
    sorted = std::min(c.size(), sorted * 4);
  }
  c.resize(std::min({n_top_p, n_min_p, sorted}));
  total = 0;
  for (const auto& x : c) total += x.second;
  for (auto& x : c) x.second /= total;
  return c;
}

int32_t SampleToken(const SamplingParams& p, const float* logits, int64_t V, Rng* rng) {
  if (p.temperature == 0.0)
    return static_cast<int32_t>(std::max_element(logits, logits + V) - logits);
  const std::vector<std::pair<int32_t, double>> c = CandidateDistribution(p, logits, V);
  const double u = static_cast<double>(rng->NextU64() >> 11) * (1.0 / 9007199254740992.0);
  double acc = 0;
  for (const auto& [id, prob] : c) {
    acc += prob;
    if (u < acc) return id;
  }
  // Rounding left the total just under u: the last candidate with mass.
  for (auto it = c.rbegin(); it != c.rend(); ++it)
    if (it->second > 0) return it->first;
  return c.back().first;
}

RequestSampler::RequestSampler(SamplingParams params, std::vector<int32_t> prompt, uint64_t seed)
    : params_(std::move(params)), prompt_(std::move(prompt)), rng_(seed) {}

int32_t RequestSampler::Next(const float* logits, int64_t V, TokenLogprobs* lp) {
  work_.assign(logits, logits + V);
  ApplyPenalties(params_, prompt_, counts_, work_.data(), V);
  const int32_t id = SampleToken(params_, work_.data(), V, &rng_);
  if (lp && params_.logprobs >= 0) ComputeLogprobs(logits, V, id, params_.logprobs, lp);
  output_.push_back(id);
  ++counts_[id];
  return id;
}

}  // namespace seek
