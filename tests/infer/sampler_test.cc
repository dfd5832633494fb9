// Sampler chain against plain references on fresh random logits.
#include "infer/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "infer_test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;

std::vector<float> RandomLogits(Rng& rng, int64_t V, float scale = 3.f) {
  std::vector<float> l(V);
  for (float& x : l) x = scale * rng.Normal();
  return l;
}

// Plain reference of CandidateDistribution: full softmax in double, a full
// sort by (p desc, id asc), then each filter by its definition.
std::vector<std::pair<int32_t, double>> RefCandidates(const SamplingParams& p,
                                                      const std::vector<float>& l) {
  const int64_t V = l.size();
  std::vector<double> prob(V);
  double mx = *std::max_element(l.begin(), l.end()), sum = 0;
  for (int64_t i = 0; i < V; ++i) sum += prob[i] = std::exp((l[i] - mx) / p.temperature);
  std::vector<std::pair<int32_t, double>> c;
  for (int64_t i = 0; i < V; ++i) c.emplace_back(i, prob[i] / sum);
  if (p.top_k == 0 && p.top_p >= 1 && p.min_p == 0) return c;
  std::sort(c.begin(), c.end(), [](auto a, auto b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  if (p.top_k > 0 && p.top_k < V) c.resize(p.top_k);
  if (p.top_p < 1) {
    double total = 0;
    for (auto& x : c) total += x.second;
    // Smallest n whose mass reaches top_p.
    for (size_t n = 1; n <= c.size(); ++n) {
      double m = 0;
      for (size_t i = 0; i < n; ++i) m += c[i].second;
      if (m >= p.top_p * total || n == c.size()) {
        c.resize(n);
        break;
      }
    }
  }
  if (p.min_p > 0) {
    const double pmax = c[0].second;
    std::vector<std::pair<int32_t, double>> kept;
    for (auto& x : c)
      if (x.second >= p.min_p * pmax) kept.push_back(x);
    c = kept;
  }
  double total = 0;
  for (auto& x : c) total += x.second;
  for (auto& x : c) x.second /= total;
  return c;
}

TEST(Sampler, CandidatesMatchReference) {
  Rng rng(FreshSeed());
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t V = trial % 20 == 0 ? 1000 + rng.Below(4000) : 2 + rng.Below(300);
    std::vector<float> l = RandomLogits(rng, V);
    SamplingParams p;
    p.temperature = 0.1 + 2.0 * rng.Uniform();
    if (rng.Below(2)) p.top_k = 1 + rng.Below(V + 5);
    if (rng.Below(2)) p.top_p = 0.05 + 0.95 * rng.Uniform();
    if (rng.Below(2)) p.min_p = 0.3 * rng.Uniform();
    auto got = CandidateDistribution(p, l.data(), V);
    auto want = RefCandidates(p, l);
    ASSERT_EQ(got.size(), want.size()) << "trial " << trial << " V " << V << " T " << p.temperature << " k " << p.top_k << " p " << p.top_p << " min_p " << p.min_p;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].first, want[i].first);
      ASSERT_NEAR(got[i].second, want[i].second, 1e-9);
    }
  }
}

TEST(Sampler, TopPKeepsSmallestSetReachingP) {
  // probabilities 0.5, 0.3, 0.2: top_p 0.8 keeps two (mass 0.8 reaches 0.8).
  std::vector<float> l = {std::log(0.2f), std::log(0.5f), std::log(0.3f)};
  SamplingParams p;
  p.top_p = 0.79;
  auto c = CandidateDistribution(p, l.data(), 3);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].first, 1);
  EXPECT_EQ(c[1].first, 2);
  p.top_p = 0.81;
  EXPECT_EQ(CandidateDistribution(p, l.data(), 3).size(), 3u);
  // Ties: equal probabilities are ordered by id, the smaller id kept first.
  std::vector<float> tie = {1.f, 1.f, 1.f, 1.f};
  p.top_p = 0.5;
  c = CandidateDistribution(p, tie.data(), 4);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].first, 0);
  EXPECT_EQ(c[1].first, 1);
}

// Empirical frequencies of SampleToken follow the candidate distribution.
TEST(Sampler, DrawsFollowTheDistribution) {
  Rng rng(FreshSeed());
  const int64_t V = 12;
  std::vector<float> l = RandomLogits(rng, V, 1.f);
  SamplingParams p;
  p.temperature = 0.9;
  p.top_k = 8;
  p.top_p = 0.9;
  auto want = CandidateDistribution(p, l.data(), V);
  std::map<int32_t, int> count;
  const int n = 40000;
  for (int i = 0; i < n; ++i) ++count[SampleToken(p, l.data(), V, &rng)];
  for (auto [id, prob] : want) EXPECT_NEAR(count[id] / double(n), prob, 0.015) << id;
  int total = 0;
  for (auto [id, prob] : want) total += count[id];
  EXPECT_EQ(total, n);  // nothing outside the kept set
}

TEST(Sampler, GreedyIsArgmaxSmallestIdOnTies) {
  std::vector<float> l = {0.f, 2.f, 1.f, 2.f};
  SamplingParams p;
  p.temperature = 0;
  Rng rng(1);
  EXPECT_EQ(SampleToken(p, l.data(), 4, &rng), 1);
}

TEST(Sampler, PenaltiesAndBiasMatchDefinitions) {
  Rng rng(FreshSeed());
  const int64_t V = 50;
  std::vector<float> l = RandomLogits(rng, V);
  SamplingParams p;
  p.repetition_penalty = 1.3;
  p.presence_penalty = 0.5;
  p.frequency_penalty = 0.25;
  p.logit_bias = {{3, 5.f}, {7, -100.f}};
  std::vector<int32_t> prompt = {1, 2, 2, 9};
  std::unordered_map<int32_t, int32_t> counts = {{2, 1}, {4, 3}};
  std::vector<float> got = l;
  ApplyPenalties(p, prompt, counts, got.data(), V);
  for (int64_t i = 0; i < V; ++i) {
    double x = l[i];
    if (i == 3) x += 5;
    if (i == 7) x -= 100;
    const bool seen = i == 1 || i == 2 || i == 9 || i == 4;
    if (seen) x = x > 0 ? x / 1.3 : x * 1.3;
    const int c = i == 2 ? 1 : i == 4 ? 3 : 0;
    if (c > 0) x -= 0.5 + c * 0.25;
    EXPECT_NEAR(got[i], x, 1e-5) << i;
  }
}

TEST(Sampler, LogprobsAreLogSoftmaxOfRawLogits) {
  Rng rng(FreshSeed());
  const int64_t V = 80;
  std::vector<float> l = RandomLogits(rng, V);
  double mx = *std::max_element(l.begin(), l.end()), s = 0;
  for (float x : l) s += std::exp(x - mx);
  TokenLogprobs lp;
  ComputeLogprobs(l.data(), V, 17, 5, &lp);
  EXPECT_NEAR(lp.logprob, l[17] - mx - std::log(s), 1e-5);
  ASSERT_EQ(lp.top.size(), 5u);
  std::vector<int32_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(lp.top[i].first, order[i]);
    EXPECT_NEAR(lp.top[i].second, l[order[i]] - mx - std::log(s), 1e-5);
  }
}

TEST(Sampler, SameSeedSameTokens) {
  Rng rng(FreshSeed());
  const int64_t V = 64;
  std::vector<std::vector<float>> steps;
  for (int i = 0; i < 30; ++i) steps.push_back(RandomLogits(rng, V));
  SamplingParams p;
  p.temperature = 1.2;
  p.top_p = 0.95;
  p.frequency_penalty = 0.3;
  RequestSampler a(p, {1, 2}, 42), b(p, {1, 2}, 42), c(p, {1, 2}, 43);
  std::vector<int32_t> ta, tb, tc;
  for (auto& l : steps) {
    ta.push_back(a.Next(l.data(), V, nullptr));
    tb.push_back(b.Next(l.data(), V, nullptr));
    tc.push_back(c.Next(l.data(), V, nullptr));
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
}

TEST(Sampler, ValidateRejectsAbsurdValues) {
  SamplingParams ok;
  EXPECT_TRUE(ok.Validate(100).ok());
  auto bad = [](auto f) {
    SamplingParams p;
    f(p);
    return !p.Validate(100).ok();
  };
  EXPECT_TRUE(bad([](SamplingParams& p) { p.temperature = -1; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.temperature = NAN; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.top_p = 0; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.top_k = -2; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.min_p = 1.5; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.repetition_penalty = 0; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.presence_penalty = 3; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.logit_bias = {{100, 1.f}}; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.max_tokens = 0; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.stop = std::vector<std::string>(17, "x"); }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.stop = {""}; }));
  EXPECT_TRUE(bad([](SamplingParams& p) { p.logprobs = 21; }));
}

// Each refusal names the field at fault, for the OpenAI error's param.
TEST(Sampler, ValidateNamesTheField) {
  auto field = [](auto f) {
    SamplingParams p;
    f(p);
    return p.Validate(100).field();
  };
  EXPECT_EQ(field([](SamplingParams& p) { p.temperature = -1; }), "temperature");
  EXPECT_EQ(field([](SamplingParams& p) { p.top_k = -2; }), "top_k");
  EXPECT_EQ(field([](SamplingParams& p) { p.top_p = 0; }), "top_p");
  EXPECT_EQ(field([](SamplingParams& p) { p.min_p = 1.5; }), "min_p");
  EXPECT_EQ(field([](SamplingParams& p) { p.repetition_penalty = 0; }), "repetition_penalty");
  EXPECT_EQ(field([](SamplingParams& p) { p.presence_penalty = 3; }), "presence_penalty");
  EXPECT_EQ(field([](SamplingParams& p) { p.frequency_penalty = 3; }), "frequency_penalty");
  EXPECT_EQ(field([](SamplingParams& p) { p.logit_bias = {{100, 1.f}}; }), "logit_bias");
  EXPECT_EQ(field([](SamplingParams& p) { p.logit_bias = {{1, 200.f}}; }), "logit_bias");
  EXPECT_EQ(field([](SamplingParams& p) { p.max_tokens = 0; }), "max_tokens");
  EXPECT_EQ(field([](SamplingParams& p) { p.stop_token_ids = {100}; }), "stop_token_ids");
  EXPECT_EQ(field([](SamplingParams& p) { p.stop = {""}; }), "stop");
  EXPECT_EQ(field([](SamplingParams& p) { p.logprobs = 21; }), "logprobs");
}

}  // namespace
}  // namespace seek
