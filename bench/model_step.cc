// model_step — times one forward + backward step of a model config.
//
//   model_step [--family gpt2|llama] [--vocab 8192] [--hidden 384] [--layers 6]
//              [--heads 6] [--seq 256] [--batch 8] [--steps 10] [--docs K]
//              [--recompute none|selective|full] [--every k] [--precision fp32|bf16|fp16]
//
// Defaults are the project's benchmark model (gpt2, f32). Prints ms/step,
// tokens/s, the step's model FLOP/s and MFU against the GEMM rate of the
// precision that oneDNN reaches on this machine in the same run. bench/model_step.sh runs it
// next to PyTorch and prints the ratio. Also prints the activation memory of
// the recompute plan and the process's peak RSS (run one plan per process to
// compare peaks).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "bench_util.h"
#include "core/random.h"
#include "core/threads.h"
#include "model/transformer.h"

using namespace seek;

int main(int argc, char** argv) {
  std::string family = "gpt2";
  int64_t V = 8192, C = 384, L = 6, H = 6, T = 256, B = 8, steps = 10, docs = 1;
  RecomputeConfig recompute;
  Precision precision = Precision::kF32;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    int64_t v = std::atoll(argv[i + 1]);
    if (k == "--family") family = argv[i + 1];
    else if (k == "--vocab") V = v;
    else if (k == "--hidden") C = v;
    else if (k == "--layers") L = v;
    else if (k == "--heads") H = v;
    else if (k == "--seq") T = v;
    else if (k == "--batch") B = v;
    else if (k == "--steps") steps = v;
    else if (k == "--docs") docs = v;
    else if (k == "--every") recompute.every = v;
    else if (k == "--precision") {
      auto p = ParsePrecision(argv[i + 1]);
      if (!p.ok()) { std::fprintf(stderr, "%s\n", p.status().ToString().c_str()); return 2; }
      precision = *p;
    }
    else if (k == "--recompute") {
      auto m = ParseRecompute(argv[i + 1]);
      if (!m.ok()) { std::fprintf(stderr, "%s\n", m.status().ToString().c_str()); return 2; }
      recompute.mode = *m;
    }
    else { std::fprintf(stderr, "unknown flag %s\n", k.c_str()); return 2; }
  }
  nlohmann::json j = family == "gpt2"
      ? nlohmann::json{{"model_type", "gpt2"}, {"vocab_size", V}, {"n_positions", T}, {"n_embd", C},
                       {"n_layer", L}, {"n_head", H}}
      : nlohmann::json{{"model_type", "llama"}, {"vocab_size", V}, {"hidden_size", C},
                       {"intermediate_size", C * 8 / 3 / 64 * 64}, {"num_hidden_layers", L},
                       {"num_attention_heads", H}, {"num_key_value_heads", H},
                       {"max_position_embeddings", T}};
  auto config = ParseModelConfig(j.dump(), "flags");
  if (!config.ok()) { std::fprintf(stderr, "%s\n", config.status().ToString().c_str()); return 2; }
  auto model = std::move(Transformer::Create(*config).value());
  model->params().Initialize(*config, 1);
  model->SetPrecision(precision);
  if (Status s = model->SetRecompute(recompute); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 2;
  }
  Rng rng(7);
  std::vector<int32_t> tokens(B * T), targets(B * T), doc(B * T);
  for (int64_t i = 0; i < B * T; ++i) {
    tokens[i] = rng.Below(V);
    targets[i] = rng.Below(V);
    doc[i] = (i % T) * docs / T;
  }
  Batch batch{B, T, tokens.data(), targets.data(), docs > 1 ? doc.data() : nullptr};
  // Documents shorten attention: count the causal work each document really has.
  const double attn_full = 6.0 * L * T * C;
  const double flops_per_step =
      (TrainingFlopsPerToken(*config, T) - attn_full + attn_full / docs) * B * T;
  const double peak = MeasuredGemmGflops(precision);
  model->params().ZeroGrad();
  (void)model->ForwardBackward(batch);  // warm up: buffers, oneDNN primitives
  std::vector<double> times;
  double loss = 0;
  // CPU seconds of the timed steps: steadier than wall time on a shared machine.
  auto cpu_seconds = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  const double cpu0 = cpu_seconds();
  for (int64_t s = 0; s < steps; ++s) {
    auto t0 = std::chrono::steady_clock::now();
    loss = model->ForwardBackward(batch)->mean();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double cpu_per_step = (cpu_seconds() - cpu0) / static_cast<double>(steps);
  std::sort(times.begin(), times.end());
  const double med = times[times.size() / 2];
  std::printf("seek  %s V=%lld C=%lld L=%lld H=%lld T=%lld B=%lld docs=%lld threads=%d params=%lld\n",
              family.c_str(), (long long)V, (long long)C, (long long)L, (long long)H, (long long)T,
              (long long)B, (long long)docs, NumThreads(), (long long)model->params().num_params());
  std::printf("seek  %s fwd+bwd %.1f ms/step (median of %lld)  %.0f tokens/s  %.1f GFLOP/s  "
              "MFU %.1f%% of GEMM peak %.1f GFLOP/s  loss %.3f\n",
              PrecisionName(precision), med * 1e3, (long long)steps, B * T / med, flops_per_step / med / 1e9,
              100.0 * flops_per_step / med / 1e9 / peak, peak, loss);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);  // ru_maxrss: KiB on Linux
  std::printf("seek  recompute %s every %lld: activations %.1f MB, peak RSS %.1f MB, %.1f ms/step, "
              "%.1f CPU ms/step\n",
              RecomputeName(recompute.mode), (long long)recompute.every,
              model->activation_bytes() / 1e6, ru.ru_maxrss * 1024.0 / 1e6, med * 1e3,
              cpu_per_step * 1e3);
  std::printf("RESULT seek_tokens_per_s=%.1f\n", B * T / med);
  return 0;
}
