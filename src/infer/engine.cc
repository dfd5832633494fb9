#include "infer/engine.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>

#include <pthread.h>

#include <nlohmann/json.hpp>

#include "core/threads.h"
#include "io/file_util.h"
#include "model/checkpoint.h"
#include "tokenizer/bytes.h"

namespace seek {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// eos_token_id as an int or a list of ints; anything else is ignored.
void AddEosIds(const nlohmann::json& j, std::vector<int32_t>* out) {
  if (!j.contains("eos_token_id")) return;
  const nlohmann::json& e = j["eos_token_id"];
  auto add = [&](const nlohmann::json& x) {
    if (x.is_number_integer()) {
      const int32_t id = x.get<int32_t>();
      if (std::find(out->begin(), out->end(), id) == out->end()) out->push_back(id);
    }
  };
  if (e.is_array())
    for (const auto& x : e) add(x);
  else
    add(e);
}

}  // namespace

const char* FinishReasonName(FinishReason r) {
  switch (r) {
    case FinishReason::kNone: return "none";
    case FinishReason::kLength: return "length";
    case FinishReason::kStop: return "stop";
    case FinishReason::kCancelled: return "cancelled";
    case FinishReason::kError: return "error";
  }
  return "?";
}

struct Engine::Request {
  int64_t id = 0;
  GenerationRequest req;
  EventCallback callback;
  std::unique_ptr<RequestSampler> sampler;
  std::unique_ptr<TextStream> text;
  int64_t generated = 0;
  int64_t cached_tokens = 0;
};

StatusOr<std::unique_ptr<Engine>> Engine::Load(const std::string& dir, const EngineOptions& o) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transformer> model, LoadModelDir(dir));
  std::unique_ptr<Tokenizer> tok;
  if (std::filesystem::exists(dir + "/tokenizer.json")) {
    ASSIGN_OR_RETURN(tok, Tokenizer::FromFile(dir + "/tokenizer.json"));
  }
  std::vector<int32_t> eos;
  if (std::filesystem::exists(dir + "/generation_config.json")) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir + "/generation_config.json"));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      return InvalidArgumentError("{}/generation_config.json is not a JSON object", dir);
    AddEosIds(j, &eos);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Engine> e, Create(std::move(model), std::move(tok), o));
  for (int32_t id : eos)
    if (std::find(e->eos_ids_.begin(), e->eos_ids_.end(), id) == e->eos_ids_.end())
      e->eos_ids_.push_back(id);
  return e;
}

StatusOr<std::unique_ptr<Engine>> Engine::Create(std::unique_ptr<Transformer> model,
                                                 std::unique_ptr<Tokenizer> tokenizer,
                                                 const EngineOptions& o) {
  std::unique_ptr<Engine> e(new Engine());
  e->model_ = std::move(model);
  e->tokenizer_ = std::move(tokenizer);
  RETURN_IF_ERROR(e->Init(o));
  return e;
}

Status Engine::Init(const EngineOptions& o) {
  if (o.max_batch < 1 || o.max_batch > 4096)
    return InvalidArgumentError("max batch {} must be in [1, 4096]", o.max_batch);
  if (o.threads < 0 || o.threads > 1024)
    return InvalidArgumentError("threads {} must be in [0, 1024] (0: OpenMP default)", o.threads);
  if (o.prefill_chunk < 1)
    return InvalidArgumentError("prefill chunk {} must be >= 1", o.prefill_chunk);
  opt_ = o;
  const ModelConfig& c = model_->config();
  bytes_ = c.extra.value(ByteTokenizer::kConfigKey, "") == ByteTokenizer::kConfigValue;
  AddEosIds(c.extra, &eos_ids_);
  if (bytes_ && eos_ids_.empty()) eos_ids_.push_back(ByteTokenizer::kEndOfText);
  eos_ids_.erase(std::remove_if(eos_ids_.begin(), eos_ids_.end(),
                                [&](int32_t id) { return id < 0 || id >= c.vocab_size; }),
                 eos_ids_.end());
  ASSIGN_OR_RETURN(cache_, KvCache::Create(c, o.block_size, o.kv_cache_mb));
  scheduler_ = std::make_unique<Scheduler>(
      cache_.get(), SchedulerOptions{o.max_batch, o.prefill_chunk, o.max_step_tokens});
  forward_ = std::make_unique<InferenceForward>(model_.get());
  stats_.kv_blocks_total = cache_->num_blocks();
  return Status::Ok();
}

Engine::~Engine() { Stop(); }

StatusOr<std::vector<int32_t>> Engine::Encode(const std::string& text, bool add_special_tokens) const {
  if (tokenizer_) return tokenizer_->EncodeOrError(text, add_special_tokens);
  if (bytes_) return ByteTokenizer::Encode(text);
  return UnimplementedError("this model has no tokenizer.json; pass token ids");
}

std::string Engine::Decode(const std::vector<int32_t>& ids) const {
  if (tokenizer_) return tokenizer_->Decode(ids, /*skip_special_tokens=*/true);
  if (bytes_) return ByteTokenizer::Decode(ids);
  return "";
}

StatusOr<int64_t> Engine::Submit(GenerationRequest request, EventCallback callback) {
  const ModelConfig& c = model_->config();
  const SamplingParams& sp = request.sampling;
  RETURN_IF_ERROR(sp.Validate(c.vocab_size));
  if (request.prompt.empty()) return InvalidArgumentError("the prompt must hold at least one token");
  for (int32_t id : request.prompt)
    if (id < 0 || id >= c.vocab_size)
      return InvalidArgumentError("prompt token id {} is outside the vocabulary [0, {})", id,
                                  c.vocab_size)
          .WithField("prompt");
  const int64_t total = static_cast<int64_t>(request.prompt.size()) + sp.max_tokens;
  if (total > c.max_positions)
    return InvalidArgumentError("prompt ({} tokens) plus max_tokens ({}) is {}, past the model's "
                                "context of {} tokens",
                                request.prompt.size(), sp.max_tokens, total, c.max_positions)
        .WithField("max_tokens");
  RETURN_IF_ERROR(cache_->CheckCanEverFit(total));
  if (!sp.stop.empty() && !has_text())
    return InvalidArgumentError("stop strings need a tokenizer; this model has none")
        .WithField("stop");

  auto r = std::make_unique<Request>();
  r->callback = std::move(callback);
  std::lock_guard<std::mutex> lock(mu_);
  r->id = next_id_++;
  const uint64_t seed = sp.seed ? *sp.seed : SplitMix64(0x5eed0000ull + seed_counter_++) ^
                                                 static_cast<uint64_t>(
                                                     Clock::now().time_since_epoch().count());
  r->sampler = std::make_unique<RequestSampler>(sp, request.prompt, seed);
  r->text = std::make_unique<TextStream>([this](const std::vector<int32_t>& ids) {
    return Decode(ids);
  }, sp.stop);
  r->req = std::move(request);
  const int64_t id = r->id;
  inbox_.push_back(std::move(r));
  cv_.notify_all();
  return id;
}

void Engine::Cancel(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  cancels_.push_back(id);
  cv_.notify_all();
}

void Engine::Finish(Request* r, FinishReason reason, Status error, std::vector<TokenEvent>* out) {
  TokenEvent e;
  e.request_id = r->id;
  e.finished = true;
  e.finish_reason = reason;
  e.error = std::move(error);
  if (reason != FinishReason::kCancelled && reason != FinishReason::kError)
    e.text = r->text->Flush();
  e.prompt_tokens = static_cast<int64_t>(r->req.prompt.size());
  e.completion_tokens = r->generated;
  e.cached_tokens = r->cached_tokens;
  out->push_back(std::move(e));
}

void Engine::DrainInbox() {
  std::vector<std::unique_ptr<Request>> inbox;
  std::vector<int64_t> cancels;
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox.swap(inbox_);
    cancels.swap(cancels_);
  }
  for (auto& r : inbox) {
    auto s = std::make_unique<SequenceState>();
    s->id = r->id;
    s->tokens = r->req.prompt;
    s->prompt_len = static_cast<int64_t>(r->req.prompt.size());
    scheduler_->Add(std::move(s));
    const int64_t id = r->id;
    requests_[id] = std::move(r);
  }
  std::vector<TokenEvent> events;
  std::vector<std::pair<EventCallback, TokenEvent>> calls;
  for (int64_t id : cancels) {
    auto it = requests_.find(id);
    if (it == requests_.end()) continue;
    scheduler_->Remove(id);
    Finish(it->second.get(), FinishReason::kCancelled, Status::Ok(), &events);
    calls.emplace_back(std::move(it->second->callback), events.back());
    requests_.erase(it);
  }
  for (auto& [cb, e] : calls)
    if (cb) cb(e);
}

bool Engine::Step() {
  if (opt_.threads > 0) SetNumThreads(opt_.threads);  // this thread's OpenMP team size
  DrainInbox();
  std::vector<ScheduledChunk> plan = scheduler_->Schedule();
  if (plan.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.running = scheduler_->num_running();
    stats_.waiting = scheduler_->num_waiting();
    stats_.kv_blocks_used = cache_->num_used_blocks();
    return !scheduler_->empty() || !inbox_.empty();
  }
  std::vector<StepSequence> step;
  int64_t prompt_tokens = 0;
  for (const ScheduledChunk& c : plan) {
    step.push_back(StepSequence{c.seq->kv_seq, c.seq->tokens.data() + c.seq->n_computed, c.n,
                                c.last});
    prompt_tokens += std::max<int64_t>(
        0, std::min(c.seq->prompt_len, c.seq->n_computed + c.n) - c.seq->n_computed);
  }
  Status st = forward_->Forward(step, cache_.get());
  std::vector<TokenEvent> events;
  std::vector<int64_t> done;
  const int64_t V = model_->config().vocab_size;
  int64_t k = 0, generated = 0;
  if (!st.ok()) {
    // Validated at Submit, so this is a bug; fail these requests, keep serving.
    for (const ScheduledChunk& c : plan) {
      Finish(requests_.at(c.seq->id).get(), FinishReason::kError, st, &events);
      done.push_back(c.seq->id);
    }
  } else {
    scheduler_->Advance(plan);
    for (const ScheduledChunk& c : plan) {
      if (!c.last) continue;
      Request* r = requests_.at(c.seq->id).get();
      if (r->generated == 0) r->cached_tokens = c.seq->n_cached;
      TokenEvent e;
      e.request_id = r->id;
      TokenLogprobs lp;
      const int32_t tok = r->sampler->Next(forward_->logits() + (k++) * V, V, &lp);
      if (r->req.sampling.logprobs >= 0) e.logprobs = lp;
      c.seq->tokens.push_back(tok);
      ++r->generated;
      ++generated;
      e.token = tok;
      const SamplingParams& sp = r->req.sampling;
      const bool is_eos = !sp.ignore_eos &&
                          std::find(eos_ids_.begin(), eos_ids_.end(), tok) != eos_ids_.end();
      const bool is_stop_id =
          std::find(sp.stop_token_ids.begin(), sp.stop_token_ids.end(), tok) != sp.stop_token_ids.end();
      bool stopped = false;
      if (!is_eos) e.text = r->text->Push(tok, &stopped);
      FinishReason reason = FinishReason::kNone;
      if (is_eos || is_stop_id || stopped)
        reason = FinishReason::kStop;
      else if (r->generated >= sp.max_tokens ||
               static_cast<int64_t>(c.seq->tokens.size()) >= model_->config().max_positions)
        reason = FinishReason::kLength;
      if (reason != FinishReason::kNone) {
        e.finished = true;
        e.finish_reason = reason;
        if (!stopped) e.text += r->text->Flush();
        e.prompt_tokens = c.seq->prompt_len;
        e.completion_tokens = r->generated;
        e.cached_tokens = r->cached_tokens;
        done.push_back(r->id);
      }
      events.push_back(std::move(e));
    }
  }
  // Finished requests leave before the callbacks run, so their blocks are free.
  std::vector<std::pair<EventCallback*, size_t>> calls;
  std::map<int64_t, std::unique_ptr<Request>> finished;
  for (int64_t id : done) {
    scheduler_->Remove(id);
    auto it = requests_.find(id);
    finished[id] = std::move(it->second);
    requests_.erase(it);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.steps++;
    stats_.last_step = Clock::now();
    stats_.prompt_tokens += prompt_tokens;
    stats_.generated_tokens += generated;
    stats_.running = scheduler_->num_running();
    stats_.waiting = scheduler_->num_waiting();
    stats_.kv_blocks_used = cache_->num_used_blocks();
    stats_.preemptions = scheduler_->num_preemptions();
  }
  for (const TokenEvent& e : events) {
    auto it = requests_.find(e.request_id);
    Request* r = it != requests_.end() ? it->second.get() : finished.at(e.request_id).get();
    if (r->callback) r->callback(e);
  }
  return true;
}

void Engine::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (loop_.joinable()) return;
  stop_ = false;
  running_loop_ = true;
  loop_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "seek-engine");  // in top -H, perf, gdb
    for (;;) {
      const bool busy = Step();
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) break;
      if (!busy) cv_.wait(lock, [this] { return stop_ || !inbox_.empty() || !cancels_.empty(); });
      if (stop_) break;
    }
  });
}

void Engine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!loop_.joinable()) return;
    stop_ = true;
    cv_.notify_all();
  }
  loop_.join();
  running_loop_ = false;
}

GenerationResult Engine::Generate(GenerationRequest request) {
  auto result = std::make_shared<GenerationResult>();
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> fut = done->get_future();
  const Clock::time_point t0 = Clock::now();
  auto first = std::make_shared<Clock::time_point>();
  const bool want_lp = request.sampling.logprobs >= 0;
  StatusOr<int64_t> id = Submit(std::move(request), [=](const TokenEvent& e) {
    if (e.token >= 0) {
      if (result->tokens.empty()) *first = Clock::now();
      result->tokens.push_back(e.token);
      if (want_lp && e.logprobs) result->logprobs.push_back(*e.logprobs);
    }
    result->text += e.text;
    if (e.finished) {
      const Clock::time_point t1 = Clock::now();
      result->finish_reason = e.finish_reason;
      result->error = e.error;
      result->prompt_tokens = e.prompt_tokens;
      result->cached_tokens = e.cached_tokens;
      if (!result->tokens.empty()) {
        result->prefill_seconds = Seconds(t0, *first);
        result->decode_seconds = Seconds(*first, t1);
      }
      done->set_value();
    }
  });
  if (!id.ok()) {
    GenerationResult r;
    r.finish_reason = FinishReason::kError;
    r.error = id.status();
    return r;
  }
  if (running_loop_) {
    fut.wait();
  } else {
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) Step();
  }
  return *result;
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace seek
