// `seek demo`: the forward/backward demo on bundled text until the trainer
// lands (issue 3 replaces it with `seek train`). Builds a small byte-level
// model, runs forward + backward with plain SGD on data/raw/kjv.txt and prints
// the loss falling, tokens/s and ETA.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/random.h"
#include "core/threads.h"
#include "io/file_util.h"
#include "model/checkpoint.h"

namespace seek::cli {
namespace {

struct DemoParams {
  std::string text = "data/raw/kjv.txt";  // written by scripts/setup.sh
  std::string family = "gpt2";
  int steps = 100;
  int batch = 8;
  int seq = 128;
  int hidden = 128;
  int layers = 2;
  int heads = 4;
  double lr = 0.05;
  uint64_t seed = 1;
  std::string out;
};

int RunDemo(const DemoParams& p) {
  StatusOr<std::string> text = ReadFileToString(p.text);
  if (!text.ok()) {
    std::fprintf(stderr, "seek demo: %s\n(pass --text FILE with some UTF-8 text)\n",
                 text.status().ToString().c_str());
    return 2;
  }
  if (text->size() < static_cast<size_t>(p.seq) + 2) {
    std::fprintf(stderr, "seek demo: %s has %zu bytes; need at least --seq + 2 = %d\n",
                 p.text.c_str(), text->size(), p.seq + 2);
    return 2;
  }
  nlohmann::json cfg_json = p.family == "gpt2"
      ? nlohmann::json{{"model_type", "gpt2"}, {"vocab_size", 256}, {"n_positions", p.seq},
                       {"n_embd", p.hidden}, {"n_layer", p.layers}, {"n_head", p.heads}}
      : nlohmann::json{{"model_type", p.family}, {"vocab_size", 256}, {"hidden_size", p.hidden},
                       {"intermediate_size", p.hidden * 8 / 3}, {"num_hidden_layers", p.layers},
                       {"num_attention_heads", p.heads}, {"max_position_embeddings", p.seq}};
  StatusOr<ModelConfig> cfg = ParseModelConfig(cfg_json.dump(), "demo flags");
  if (!cfg.ok()) {
    std::fprintf(stderr, "seek demo: %s\n", cfg.status().ToString().c_str());
    return 2;
  }
  auto model = std::move(Transformer::Create(*cfg).value());
  model->params().Initialize(*cfg, p.seed);
  std::printf("seek demo: %s model, %lld parameters, %d threads, text %s (%zu bytes)\n",
              p.family.c_str(), static_cast<long long>(model->params().num_params()), NumThreads(),
              p.text.c_str(), text->size());

  Rng rng(p.seed);
  const int64_t N = int64_t{p.batch} * p.seq;
  std::vector<int32_t> tokens(N), targets(N);
  auto t0 = std::chrono::steady_clock::now();
  double first = 0, last = 0;
  for (int step = 1; step <= p.steps; ++step) {
    for (int b = 0; b < p.batch; ++b) {
      size_t start = rng.Below(text->size() - p.seq - 1);
      for (int t = 0; t < p.seq; ++t) {
        tokens[b * p.seq + t] = static_cast<uint8_t>((*text)[start + t]);
        targets[b * p.seq + t] = static_cast<uint8_t>((*text)[start + t + 1]);
      }
    }
    Batch batch{p.batch, p.seq, tokens.data(), targets.data(), nullptr};
    model->params().ZeroGrad();
    LossResult r = model->ForwardBackward(batch).value();
    float* w = model->params().data();
    const float* g = model->params().grad();
    for (int64_t i = 0; i < model->params().size(); ++i) w[i] -= static_cast<float>(p.lr) * g[i];
    if (step == 1) first = r.mean();
    last = r.mean();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (step % 10 == 0 || step == p.steps)
      std::printf("step %4d/%d  loss %.4f  %.0f tokens/s  ETA %.0fs\n", step, p.steps, r.mean(),
                  step * N / secs, secs / step * (p.steps - step));
  }
  std::printf("loss %.4f -> %.4f (uniform over bytes would be %.4f)\n", first, last, std::log(256.0));
  if (!p.out.empty()) {
    Status s = SaveModelDir(*model, p.out);
    if (!s.ok()) {
      std::fprintf(stderr, "seek demo: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("saved %s/config.json and model.safetensors\n", p.out.c_str());
  }
  return 0;
}

}  // namespace

void AddDemoCommand(CLI::App& app, std::function<int()>* run) {
  auto p = std::make_shared<DemoParams>();
  CLI::App* c = app.add_subcommand("demo", "Forward/backward demo: a small byte-level model "
                                           "learns from a text file with SGD");
  c->add_option("--text", p->text, "UTF-8 text to learn from")->capture_default_str();
  c->add_option("--family", p->family, "model family: gpt2 or llama")
      ->check(CLI::IsMember({"gpt2", "llama"}))->capture_default_str();
  c->add_option("--steps", p->steps, "SGD steps")->check(CLI::Range(1, 1000000))->capture_default_str();
  c->add_option("--batch", p->batch, "sequences per step")->check(CLI::Range(1, 4096))->capture_default_str();
  c->add_option("--seq", p->seq, "tokens per sequence")->check(CLI::Range(2, 65536))->capture_default_str();
  c->add_option("--hidden", p->hidden, "hidden size")->check(CLI::Range(8, 65536))->capture_default_str();
  c->add_option("--layers", p->layers, "Transformer blocks")->check(CLI::Range(1, 1024))->capture_default_str();
  c->add_option("--heads", p->heads, "attention heads")->check(CLI::Range(1, 1024))->capture_default_str();
  c->add_option("--lr", p->lr, "SGD learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  c->add_option("--seed", p->seed, "random seed")->capture_default_str();
  c->add_option("--out", p->out, "save the model to this directory (HF layout)");
  c->callback([p, run] { *run = [p] { return RunDemo(*p); }; });
}

}  // namespace seek::cli
