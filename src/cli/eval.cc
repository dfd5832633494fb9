// `seek eval --model DIR --data PATH [--json] [--per-token]`: mean loss and perplexity;
// --per-token (id-line files) also prints each line's per-token losses.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "model/checkpoint.h"
#include "train/evaluate.h"

namespace seek::cli {
namespace {

struct EvalFlags {
  std::string model, data;
  bool json = false, per_token = false;
  int64_t batch = 8, seq_len = 256;
};

int RunEval(const EvalFlags& f) {
  StatusOr<std::unique_ptr<Transformer>> model = LoadModelDir(f.model);
  if (!model.ok()) return Fail("eval", model.status());
  const bool is_shard = f.data.size() > 4 && f.data.substr(f.data.size() - 4) == ".bin";
  StatusOr<EvalResult> r = InvalidArgumentError("unreachable");
  std::vector<std::vector<double>> token_losses;
  if (is_shard) {
    if (f.per_token)
      return Fail("eval", InvalidArgumentError(
                              "--per-token needs a file of JSON id arrays, not the shard {}", f.data));
    r = EvaluateShard(model->get(), f.data, f.batch, f.seq_len);
  } else {
    StatusOr<std::vector<std::vector<int32_t>>> seqs = ReadTokenIdLines(f.data);
    if (!seqs.ok()) return Fail("eval", seqs.status());
    r = EvaluateSequences(model->get(), *seqs, f.per_token ? &token_losses : nullptr);
  }
  if (!r.ok()) return Fail("eval", r.status());
  // One JSON array per input line: the loss (nats) of tokens 1 .. T-1 given those before.
  for (const auto& losses : token_losses) std::printf("%s\n", nlohmann::json(losses).dump().c_str());
  if (f.json) {
    std::printf("%s\n", nlohmann::json{{"loss", r->loss}, {"perplexity", r->perplexity},
                                       {"tokens", r->tokens}}.dump().c_str());
  } else {
    std::printf("loss %.4f  perplexity %.3f  over %lld tokens\n", r->loss, r->perplexity,
                (long long)r->tokens);
  }
  return 0;
}

}  // namespace

void AddEvalCommand(CLI::App& app, Action* run) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* c = app.add_subcommand("eval", "Mean loss and perplexity of a model over data");
  c->add_option("--model", f->model, "model directory (config.json, model.safetensors)")
      ->required()->check(CLI::ExistingDirectory);
  c->add_option("--data", f->data, "a token shard (.bin) or a file of JSON id arrays, one per line")
      ->required()->check(CLI::ExistingFile);
  c->add_flag("--json", f->json, "print {\"loss\", \"perplexity\", \"tokens\"} as JSON");
  c->add_flag("--per-token", f->per_token,
              "first print, per input line, a JSON array of each token's loss (tokens 1 .. T-1)");
  c->add_option("--batch", f->batch, "rows per forward pass (shards)")->check(CLI::PositiveNumber)->capture_default_str();
  c->add_option("--seq-len", f->seq_len, "tokens per row (shards)")->check(CLI::PositiveNumber)->capture_default_str();
  c->callback([f, run] { *run = [f] { return RunEval(*f); }; });
}

}  // namespace seek::cli
