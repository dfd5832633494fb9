// One pipeline stage (pp = 1, a local communicator) is exactly the single
// process's AccumulateAndStep: the executor adds no arithmetic of its own.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "model/model_test_util.h"
#include "train/dist/pipeline.h"

namespace seek {
namespace {

TEST(PipelineLocal, OneStageIsBitwiseTheSingleProcess) {
  const uint64_t seed = testing::FreshSeed();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  for (const char* family : {"gpt2", "llama"}) {
    SCOPED_TRACE(family);
    const ModelConfig c = testing::TinyConfig(family);
    auto ref = Transformer::Create(c).value();
    auto one = Transformer::Create(c, PipelineStageShard(c, 1, 0).value()).value();
    ref->params().Initialize(c, seed);
    one->params().Initialize(c, seed);
    AdamWOptimizer ref_opt(ref->params(), OptimSection{}), one_opt(one->params(), OptimSection{});
    auto comm = LocalCommunicator();
    Rng rng(seed);
    for (int step = 0; step < 3; ++step) {
      std::vector<testing::RandomBatch> data;
      std::vector<Batch> mbs;
      for (int i = 0; i < 3; ++i) data.push_back(testing::MakeBatch(rng, 2, 8, c.vocab_size));
      for (auto& d : data)
        mbs.push_back(Batch{d.B, d.T, d.tokens.data(), d.targets.data(), d.docs.data()});
      StepResult want = AccumulateAndStep(ref.get(), &ref_opt, mbs, 0.5, 1e-3).value();
      StepResult got =
          PipelineAccumulateAndStep(one.get(), &one_opt, comm.get(), mbs, 0.5, 1e-3).value();
      EXPECT_EQ(got.loss, want.loss);
      EXPECT_EQ(got.n_targets, want.n_targets);
      const int64_t n = ref->params().size();
      EXPECT_EQ(std::memcmp(ref->params().grad(), one->params().grad(), n * sizeof(float)), 0);
      EXPECT_EQ(std::memcmp(ref->params().data(), one->params().data(), n * sizeof(float)), 0);
    }
  }
}

}  // namespace
}  // namespace seek
