// bench/engine_bench.cc — offline decode throughput of the inference engine.
//
// A llama model shaped like configs/kjv.json (3 layers, hidden 192, 4 heads,
// byte vocabulary), random weights. For batch sizes 1, 4 and 16: B requests
// with a 32-token prompt each generate --tokens tokens (greedy, no early
// stop) through Engine::Step; after the first step (which prefills every
// prompt) each step decodes one token per request. Prints decode tokens/s
// (all requests together) and the ratio to batch 1; with --threads 1 also
// decode tokens per CPU second of the stepping thread (steady on a shared
// machine, where wall-clock rates swing with the other work).
//   engine_bench [--tokens N] [--threads N] [--config FILE.json]   (FILE: an HF config.json)
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/random.h"
#include "core/threads.h"
#include "infer/engine.h"
#include "io/file_util.h"

namespace seek {
namespace {

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

constexpr const char* kKjvLlama = R"({"model_type": "llama", "num_hidden_layers": 3,
  "num_attention_heads": 4, "num_key_value_heads": 4, "hidden_size": 192,
  "intermediate_size": 512, "vocab_size": 257, "max_position_embeddings": 1024})";

int Main(int argc, char** argv) {
  int64_t tokens = 128;
  int threads = 0;
  std::string config_text = kKjvLlama;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--tokens")) tokens = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--config")) {
      StatusOr<std::string> t = ReadFileToString(argv[i + 1]);
      if (!t.ok()) return std::fprintf(stderr, "%s\n", t.status().ToString().c_str()), 2;
      config_text = *t;
    }
  }
  StatusOr<ModelConfig> config = ParseModelConfig(config_text, "engine_bench config");
  if (!config.ok()) return std::fprintf(stderr, "%s\n", config.status().ToString().c_str()), 2;
  const int64_t prompt_len = 32;
  std::printf("engine_bench: %s, %lld layers, hidden %lld, vocab %lld; prompt %lld, %lld new "
              "tokens per request; %d threads\n",
              config->family.c_str(), (long long)config->n_layer, (long long)config->hidden,
              (long long)config->vocab_size, (long long)prompt_len, (long long)tokens,
              threads > 0 ? threads : NumThreads());
  double base = 0;
  for (int64_t B : {1, 4, 16}) {
    auto model = Transformer::Create(*config).value();
    model->params().Initialize(*config, 1);
    EngineOptions o;
    o.max_batch = B;
    o.kv_cache_mb = 64;
    o.threads = threads;
    o.max_step_tokens = B * prompt_len;
    auto engine = Engine::Create(std::move(model), nullptr, o).value();
    Rng rng(7);
    for (int64_t b = 0; b < B; ++b) {
      GenerationRequest r;
      for (int64_t t = 0; t < prompt_len; ++t)
        r.prompt.push_back(static_cast<int32_t>(rng.Below(config->vocab_size)));
      r.sampling.temperature = 0;
      r.sampling.max_tokens = tokens;
      r.sampling.ignore_eos = true;
      if (!engine->Submit(r, nullptr).ok()) return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    engine->Step();  // prefill of every prompt + the first token of each
    const auto t1 = std::chrono::steady_clock::now();
    const int64_t gen0 = engine->stats().generated_tokens;
    const double cpu0 = ThreadCpuSeconds();
    while (engine->Step()) {
    }
    const double cpu_s = ThreadCpuSeconds() - cpu0;
    const auto t2 = std::chrono::steady_clock::now();
    const int64_t decoded = engine->stats().generated_tokens - gen0;
    const double prefill_s = std::chrono::duration<double>(t1 - t0).count();
    const double decode_s = std::chrono::duration<double>(t2 - t1).count();
    const double tps = decoded / decode_s;
    if (B == 1) base = tps;
    std::printf("batch %3lld: prefill %7.0f tokens/s, decode %8.1f tokens/s (%.2fx batch 1), "
                "%.2f ms per step",
                (long long)B, B * prompt_len / prefill_s, tps, tps / base,
                1e3 * decode_s / std::max<int64_t>(1, tokens - 1));
    if (threads == 1) std::printf(", %.0f tokens per CPU second", decoded / cpu_s);
    std::printf("\n");
  }
  return 0;
}

}  // namespace
}  // namespace seek

int main(int argc, char** argv) { return seek::Main(argc, argv); }
