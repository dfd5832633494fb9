// `seek sample --model DIR [--prompt TEXT | --prompt-ids "1 2 3"]`: temperature / top-k sampling.
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "model/checkpoint.h"
#include "tokenizer/bytes.h"
#include "train/sample.h"

namespace seek::cli {
namespace {

struct SampleFlags {
  std::string model, prompt = "\n", prompt_ids;
  int64_t tokens = 200, top_k = 40;
  double temperature = 0.8;
  uint64_t seed = 1;
};

int RunSample(const SampleFlags& f) {
  StatusOr<std::unique_ptr<Transformer>> model = LoadModelDir(f.model);
  if (!model.ok()) return Fail("sample", model.status());
  const ModelConfig& c = (*model)->config();
  const bool bytes = c.extra.value(ByteTokenizer::kConfigKey, "") == ByteTokenizer::kConfigValue;
  std::vector<int32_t> prompt;
  if (!f.prompt_ids.empty()) {
    std::istringstream in(f.prompt_ids);
    int64_t id;
    while (in >> id) {
      if (id < 0 || id >= c.vocab_size)
        return Fail("sample", InvalidArgumentError("--prompt-ids: id {} is outside the vocabulary [0, {})", id, c.vocab_size));
      prompt.push_back(static_cast<int32_t>(id));
    }
    if (!in.eof()) return Fail("sample", InvalidArgumentError("--prompt-ids must be integers separated by spaces"));
  } else if (bytes) {
    prompt = ByteTokenizer::Encode(f.prompt);
  } else {
    return Fail("sample", InvalidArgumentError("{} has no text tokenizer yet; pass --prompt-ids", f.model));
  }
  if (prompt.empty()) return Fail("sample", InvalidArgumentError("the prompt is empty"));
  Rng rng(f.seed);
  SampleOptions so{f.tokens, f.temperature, f.top_k, bytes ? ByteTokenizer::kEndOfText : -1};
  StatusOr<std::vector<int32_t>> out = SampleTokens(model->get(), prompt, so, &rng);
  if (!out.ok()) return Fail("sample", out.status());
  if (bytes && f.prompt_ids.empty())
    std::printf("%s%s\n", f.prompt.c_str(), ByteTokenizer::Decode(*out).c_str());
  else
    std::printf("%s\n", fmt::format("{}", fmt::join(*out, " ")).c_str());
  return 0;
}

}  // namespace

void AddSampleCommand(CLI::App& app, Action* run) {
  auto f = std::make_shared<SampleFlags>();
  CLI::App* c = app.add_subcommand("sample", "Sample text (or token ids) from a model");
  c->add_option("--model", f->model, "model directory")->required()->check(CLI::ExistingDirectory);
  c->add_option("--prompt", f->prompt, "text prompt (byte-level models)");
  c->add_option("--prompt-ids", f->prompt_ids, "prompt as token ids separated by spaces");
  c->add_option("--tokens", f->tokens, "tokens to generate")->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->capture_default_str();
  c->add_option("--temperature", f->temperature, "0 = greedy")->check(CLI::Range(0.0, 100.0))->capture_default_str();
  c->add_option("--top-k", f->top_k, "sample among the k likeliest (0 = all)")->check(CLI::NonNegativeNumber)->capture_default_str();
  c->add_option("--seed", f->seed, "random seed")->capture_default_str();
  c->callback([f, run] { *run = [f] { return RunSample(*f); }; });
}

}  // namespace seek::cli
