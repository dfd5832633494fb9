// `seek generate --model DIR --prompt TEXT`: one-off local generation through
// the inference engine (paged KV cache, sampler chain). Prints the
// continuation, then a line with prefill and decode speed on stderr.
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "infer/engine.h"

namespace seek::cli {
namespace {

struct GenerateFlags {
  std::string model, prompt, prompt_ids;
  std::vector<std::string> stop;
  int64_t max_tokens = 128, top_k = 0, logprobs = -1;
  double temperature = 1.0, top_p = 1.0, min_p = 0.0, repetition_penalty = 1.0;
  double presence_penalty = 0.0, frequency_penalty = 0.0, kv_cache_mb = 256;
  int64_t seed = -1;
  int threads = 0;
  bool ignore_eos = false;
};

int RunGenerate(const GenerateFlags& f) {
  EngineOptions eo;
  eo.kv_cache_mb = f.kv_cache_mb;
  eo.max_batch = 1;
  eo.threads = f.threads;
  StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(f.model, eo);
  if (!engine.ok()) return Fail("generate", engine.status());
  Engine& e = **engine;
  GenerationRequest r;
  if (!f.prompt_ids.empty()) {
    std::istringstream in(f.prompt_ids);
    int64_t id;
    while (in >> id) r.prompt.push_back(static_cast<int32_t>(id));
    if (!in.eof())
      return Fail("generate", InvalidArgumentError("--prompt-ids must be integers separated by spaces"));
  } else {
    StatusOr<std::vector<int32_t>> ids = e.Encode(f.prompt);
    if (!ids.ok()) return Fail("generate", ids.status());
    r.prompt = *ids;
  }
  SamplingParams& s = r.sampling;
  s.max_tokens = f.max_tokens;
  s.temperature = f.temperature;
  s.top_k = f.top_k;
  s.top_p = f.top_p;
  s.min_p = f.min_p;
  s.repetition_penalty = f.repetition_penalty;
  s.presence_penalty = f.presence_penalty;
  s.frequency_penalty = f.frequency_penalty;
  s.stop = f.stop;
  s.ignore_eos = f.ignore_eos;
  s.logprobs = f.logprobs;
  if (f.seed >= 0) s.seed = static_cast<uint64_t>(f.seed);
  const int64_t n_prompt = static_cast<int64_t>(r.prompt.size());
  e.Start();  // the step loop on its own thread, as in seek serve
  GenerationResult out = e.Generate(std::move(r));
  if (!out.error.ok()) return Fail("generate", out.error);
  if (e.has_text() && f.prompt_ids.empty())
    std::printf("%s%s\n", f.prompt.c_str(), out.text.c_str());
  else
    std::printf("%s\n", fmt::format("{}", fmt::join(out.tokens, " ")).c_str());
  for (size_t i = 0; i < out.logprobs.size(); ++i)
    std::fprintf(stderr, "token %d logprob %.4f\n", out.tokens[i], out.logprobs[i].logprob);
  const int64_t n_decode = static_cast<int64_t>(out.tokens.size()) - 1;
  std::fprintf(stderr,
               "prompt %lld tokens (%lld cached) in %.3f s: %.1f tokens/s prefill; "
               "%lld tokens decoded in %.3f s: %.1f tokens/s decode; finish: %s\n",
               static_cast<long long>(n_prompt), static_cast<long long>(out.cached_tokens),
               out.prefill_seconds, n_prompt / std::max(out.prefill_seconds, 1e-9),
               static_cast<long long>(n_decode), out.decode_seconds,
               n_decode > 0 ? n_decode / std::max(out.decode_seconds, 1e-9) : 0.0,
               FinishReasonName(out.finish_reason));
  return 0;
}

}  // namespace

void AddGenerateCommand(CLI::App& app, Action* run) {
  auto f = std::make_shared<GenerateFlags>();
  CLI::App* c = app.add_subcommand("generate", "Generate a continuation with the inference engine");
  c->add_option("--model", f->model, "model directory")->required()->check(CLI::ExistingDirectory);
  auto* prompt = c->add_option("--prompt", f->prompt, "text prompt");
  auto* ids = c->add_option("--prompt-ids", f->prompt_ids, "prompt as token ids separated by spaces");
  prompt->excludes(ids);
  c->add_option("--max-tokens", f->max_tokens, "tokens to generate")->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->capture_default_str();
  c->add_option("--temperature", f->temperature, "0 = greedy")->capture_default_str();
  c->add_option("--top-k", f->top_k, "keep the k likeliest (0 = off)")->capture_default_str();
  c->add_option("--top-p", f->top_p, "nucleus mass")->capture_default_str();
  c->add_option("--min-p", f->min_p, "drop tokens below min_p * p_max")->capture_default_str();
  c->add_option("--repetition-penalty", f->repetition_penalty)->capture_default_str();
  c->add_option("--presence-penalty", f->presence_penalty)->capture_default_str();
  c->add_option("--frequency-penalty", f->frequency_penalty)->capture_default_str();
  c->add_option("--stop", f->stop, "stop string (repeatable)");
  c->add_option("--logprobs", f->logprobs, "print each token's logprob (and top N)");
  c->add_flag("--ignore-eos", f->ignore_eos, "keep going past the end-of-text token");
  c->add_option("--seed", f->seed, "random seed (-1: random)")->capture_default_str();
  c->add_option("--threads", f->threads, "OpenMP threads (0: default)")->check(CLI::Range(0, 1024))->capture_default_str();
  c->add_option("--kv-cache-mb", f->kv_cache_mb, "KV cache budget")->capture_default_str();
  c->callback([f, run] {
    if (f->prompt.empty() && f->prompt_ids.empty()) f->prompt = "\n";
    *run = [f] { return RunGenerate(*f); };
  });
}

}  // namespace seek::cli
