// Data parallelism (train/dist/data_parallel.h) against one process: the
// same global batch, split over the ranks by rows, gives the single process's
// first-step loss and gradients (1e-6 relative, f32) and its losses over 20
// AdamW steps (1e-4), in plain mode with and without overlap and with ZeRO-1.
#include "train/dist/data_parallel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/model_test_util.h"
#include "train/optimizer.h"
#include "train/step.h"

namespace seek {
namespace {

struct Mode {
  const char* name;
  const char* family;
  DataParallelOptions options;
};

class DataParallelTest : public ::testing::TestWithParam<Mode> {};

// Max over tensors of max|a - b| / max|ref| (per tensor; relative to its scale).
double MaxRelDiff(const ParamStore& ref, const float* ref_buf, const float* got, int64_t begin, int64_t end) {
  double worst = 0;
  for (const ParamInfo& p : ref.infos()) {
    const int64_t b = std::max(begin, p.offset), e = std::min(end, p.offset + p.numel());
    if (b >= e) continue;
    double scale = 0, diff = 0;
    for (int64_t i = p.offset; i < p.offset + p.numel(); ++i) scale = std::max(scale, std::fabs((double)ref_buf[i]));
    for (int64_t i = b; i < e; ++i) diff = std::max(diff, std::fabs((double)ref_buf[i] - got[i]));
    if (scale > 0) worst = std::max(worst, diff / scale);
  }
  return worst;
}

TEST_P(DataParallelTest, MatchesOneProcess) {
  const Mode& mode = GetParam();
  auto world_or = WorldCommunicator();
  ASSERT_TRUE(world_or.ok());
  Communicator& world = **world_or;
  world.set_timeout_s(300);
  const int p = world.size(), me = world.rank();
  uint64_t seed = testing::FreshSeed();
  ASSERT_TRUE(world.Broadcast(&seed, sizeof seed, 0).ok());

  ModelConfig c = testing::TinyConfig(mode.family, /*tied=*/std::string(mode.family) == "gpt2");
  const int64_t B = 4, T = 16, A = 2, steps = 20;  // global rows per micro-batch, accumulation
  auto ref_or = Transformer::Create(c), dp_or = Transformer::Create(c);
  ASSERT_TRUE(ref_or.ok() && dp_or.ok());
  std::unique_ptr<Transformer> ref = std::move(*ref_or), dp = std::move(*dp_or);
  ref->params().Initialize(c, seed);
  dp->params().Initialize(c, seed);
  OptimSection o;
  o.weight_decay = 0.1;
  AdamWOptimizer ref_opt(ref->params(), o);
  GradientSync sync(&world, &dp->params(), mode.options);
  AdamWOptimizer dp_opt(dp->params(), o, sync.shard_begin(), sync.shard_end());
  if (me == 0)
    std::printf("%s %s: seed %llu, %lld floats over %d ranks (shard %lld)\n", mode.name, mode.family,
                (unsigned long long)seed, (long long)dp->params().size(), p,
                (long long)(sync.shard_end() - sync.shard_begin()));

  Rng rng(seed ^ 0x5eed);
  double worst_loss = 0;
  for (int64_t step = 0; step < steps; ++step) {
    std::vector<testing::RandomBatch> data;
    std::vector<Batch> full, mine;
    int64_t global_targets = 0;
    for (int64_t a = 0; a < A; ++a) data.push_back(testing::MakeBatch(rng, B, T, c.vocab_size));
    const int64_t rows = B / p, first = me * rows;
    for (auto& d : data) {
      full.push_back(Batch{B, T, d.tokens.data(), d.targets.data(), d.docs.data()});
      mine.push_back(Batch{rows, T, d.tokens.data() + first * T, d.targets.data() + first * T,
                           d.docs.data() + first * T});
      for (int32_t t : d.targets) global_targets += t != -1;
    }
    const double lr = 1e-3;
    auto r1 = AccumulateAndStep(ref.get(), &ref_opt, full, 1.0, lr);
    auto r2 = AccumulateAndStep(dp.get(), &dp_opt, mine, 1.0, lr, nullptr, &sync, global_targets);
    ASSERT_TRUE(r1.ok() && r2.ok()) << r2.status().message();
    if (step == 0) {
      EXPECT_NEAR(r2->loss, r1->loss, 1e-6 * std::fabs(r1->loss));
      const double g = MaxRelDiff(ref->params(), ref->params().grad(), dp->params().grad(), sync.shard_begin(),
                                  sync.shard_end());
      EXPECT_LE(g, 1e-6) << "first-step gradients";
      EXPECT_NEAR(r2->grad_norm, r1->grad_norm, 1e-6 * r1->grad_norm);
      if (me == 0) std::printf("  first step: loss %.8f vs %.8f, max rel grad diff %.2e\n", r2->loss, r1->loss, g);
    }
    worst_loss = std::max(worst_loss, std::fabs(r2->loss - r1->loss));
  }
  EXPECT_LE(worst_loss, 1e-4);
  // Parameters drift apart at rounding level only (Adam turns the rounding
  // noise of near-zero gradients into steps of about lr, so no tight bound).
  const double w = MaxRelDiff(ref->params(), ref->params().data(), dp->params().data(), 0, dp->params().size());
  EXPECT_LE(w, 0.05);
  if (me == 0) std::printf("  20 steps: max |loss diff| %.2e, max rel param diff %.2e\n", worst_loss, w);
}

DataParallelOptions Opts(int64_t bucket, bool overlap, bool zero1) {
  DataParallelOptions o;
  o.bucket_floats = bucket;
  o.overlap = overlap;
  o.zero1 = zero1;
  return o;
}

INSTANTIATE_TEST_SUITE_P(
    Modes, DataParallelTest,
    ::testing::Values(Mode{"overlap", "gpt2", Opts(1000, true, false)},
                      Mode{"overlap", "llama", Opts(777, true, false)},
                      Mode{"no_overlap", "gpt2", Opts(int64_t{25} << 18, false, false)},
                      Mode{"zero1", "gpt2", Opts(0, false, true)},
                      Mode{"zero1", "llama", Opts(0, false, true)}),
    [](const auto& info) { return std::string(info.param.name) + "_" + info.param.family; });

}  // namespace
}  // namespace seek
