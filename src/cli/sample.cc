// `seek sample --model DIR [--prompt TEXT | --prompt-ids "1 2 3"]`: temperature / top-k sampling,
// text in and out with the model folder's tokenizer.json (or the byte vocabulary).
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "data/tokenizer_files.h"
#include "model/checkpoint.h"
#include "tokenizer/bytes.h"
#include "train/sample.h"

namespace seek::cli {
namespace {

struct SampleFlags {
  std::string model, prompt, prompt_ids;
  int64_t tokens = 200, top_k = 40;
  double temperature = 0.8;
  uint64_t seed = 1;
};

int RunSample(const SampleFlags& f) {
  StatusOr<std::unique_ptr<Transformer>> model = LoadModelDir(f.model);
  if (!model.ok()) return Fail("sample", model.status());
  const ModelConfig& c = (*model)->config();
  // The model folder's tokenizer.json wins; else the byte vocabulary if config.json says so.
  std::optional<TokenizerBundle> tok;
  if (std::filesystem::exists(std::filesystem::path(f.model) / kTokenizerJson)) {
    StatusOr<TokenizerBundle> b = LoadTokenizerBundle(f.model);
    if (!b.ok()) return Fail("sample", b.status());
    tok = std::move(*b);
  }
  const bool bytes = !tok && c.extra.value(ByteTokenizer::kConfigKey, "") == ByteTokenizer::kConfigValue;
  const int32_t stop = tok ? tok->eot_id : bytes ? ByteTokenizer::kEndOfText : -1;
  std::string prompt_text = f.prompt;
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
  } else if (tok) {
    StatusOr<std::vector<int32_t>> ids = tok->tokenizer->EncodeOrError(prompt_text, false);
    if (!ids.ok()) return Fail("sample", ids.status());
    prompt = std::move(*ids);
    if (prompt.empty()) prompt = {stop};  // no prompt: a fresh document
  } else if (bytes) {
    if (prompt_text.empty()) prompt_text = "\n";
    prompt = ByteTokenizer::Encode(prompt_text);
  } else {
    return Fail("sample", InvalidArgumentError("{} has no tokenizer.json and is not a byte-level model; "
                                               "pass --prompt-ids or put its tokenizer.json there",
                                               f.model));
  }
  if (prompt.empty()) return Fail("sample", InvalidArgumentError("the prompt is empty"));
  Rng rng(f.seed);
  SampleOptions so{f.tokens, f.temperature, f.top_k, stop};
  StatusOr<std::vector<int32_t>> out = SampleTokens(model->get(), prompt, so, &rng);
  if (!out.ok()) return Fail("sample", out.status());
  if ((tok || bytes) && f.prompt_ids.empty()) {
    if (!out->empty() && out->back() == stop) out->pop_back();
    const std::string text = tok ? tok->tokenizer->Decode(*out) : ByteTokenizer::Decode(*out);
    std::printf("%s%s\n", prompt_text.c_str(), text.c_str());
  } else {
    std::printf("%s\n", fmt::format("{}", fmt::join(*out, " ")).c_str());
  }
  return 0;
}

}  // namespace

void AddSampleCommand(CLI::App& app, Action* run) {
  auto f = std::make_shared<SampleFlags>();
  CLI::App* c = app.add_subcommand("sample", "Sample text (or token ids) from a model");
  c->add_option("--model", f->model, "model directory")->required()->check(CLI::ExistingDirectory);
  c->add_option("--prompt", f->prompt, "text prompt (models with a tokenizer.json or byte-level ones); default: a new document");
  c->add_option("--prompt-ids", f->prompt_ids, "prompt as token ids separated by spaces");
  c->add_option("--tokens", f->tokens, "tokens to generate")->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->capture_default_str();
  c->add_option("--temperature", f->temperature, "0 = greedy")->check(CLI::Range(0.0, 100.0))->capture_default_str();
  c->add_option("--top-k", f->top_k, "sample among the k likeliest (0 = all)")->check(CLI::NonNegativeNumber)->capture_default_str();
  c->add_option("--seed", f->seed, "random seed")->capture_default_str();
  c->callback([f, run] { *run = [f] { return RunSample(*f); }; });
}

}  // namespace seek::cli
