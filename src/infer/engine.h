// infer/engine.h — the inference engine: a model, a paged KV cache, a
// continuous-batching scheduler and per-request samplers behind a
// thread-safe submit / stream / cancel API (what the HTTP and gRPC servers
// call).
//
// Requests are submitted from any thread with a callback. The engine's step
// loop (Start() runs it on a background thread; or call Step() yourself)
// admits waiting requests, runs one forward pass over every running
// sequence (prefill chunks and decode tokens together, no padding), samples
// each sequence that reached its end, and calls the callbacks with a
// TokenEvent per new token. The last event of a request has finished = true
// and says why. Cancel() takes effect at the next step: the request's KV
// blocks are freed and it gets a final event with FinishReason::kCancelled.
// Callbacks run on the step thread, outside the engine's locks; they must be
// quick (hand the event to a queue) and must not call Step().
// A request that can never run (prompt + max_tokens past the model's
// context, or larger than the whole KV cache) is refused by Submit with a
// Status; nothing that a request holds can crash the engine.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "infer/forward.h"
#include "infer/kv_cache.h"
#include "infer/sampler.h"
#include "infer/scheduler.h"
#include "infer/text_stream.h"
#include "model/transformer.h"
#include "tokenizer/tokenizer.h"

namespace seek {

struct EngineOptions {
  int64_t max_batch = 16;         // sequences per step
  double kv_cache_mb = 256;       // KV cache budget
  int64_t block_size = 16;        // tokens per KV block
  int64_t prefill_chunk = 256;    // prompt tokens of one request per step
  int64_t max_step_tokens = 512;  // tokens per step over all requests
  // OpenMP threads of the step thread (0: the OpenMP default). A decode step
  // of a small model forks ~10 parallel regions per layer; on a machine
  // shared with other work, fewer threads can be much faster.
  int threads = 0;
};

enum class FinishReason { kNone, kLength, kStop, kCancelled, kError };
const char* FinishReasonName(FinishReason r);  // "length", "stop", ...

struct GenerationRequest {
  std::vector<int32_t> prompt;  // token ids, >= 1
  SamplingParams sampling;
};

struct TokenEvent {
  int64_t request_id = 0;
  int32_t token = -1;     // the new token; -1 on a final event without one
  std::string text;       // text released by this event (stop strings held back)
  std::optional<TokenLogprobs> logprobs;
  bool finished = false;
  FinishReason finish_reason = FinishReason::kNone;
  Status error;           // set with kError
  int64_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
};
using EventCallback = std::function<void(const TokenEvent&)>;

struct GenerationResult {
  std::vector<int32_t> tokens;
  std::string text;
  std::vector<TokenLogprobs> logprobs;
  FinishReason finish_reason = FinishReason::kNone;
  Status error;
  int64_t prompt_tokens = 0, cached_tokens = 0;
  double prefill_seconds = 0;  // submit to first token
  double decode_seconds = 0;   // first token to last
};

struct EngineStats {
  int64_t running = 0, waiting = 0;
  int64_t kv_blocks_used = 0, kv_blocks_total = 0;
  int64_t prompt_tokens = 0, generated_tokens = 0, steps = 0, preemptions = 0;
  // steady_clock time of the last finished step (0 before the first).
  std::chrono::steady_clock::time_point last_step{};
};

class Engine {
 public:
  // dir: config.json, model.safetensors; tokenizer.json and
  // generation_config.json when present.
  static StatusOr<std::unique_ptr<Engine>> Load(const std::string& dir, const EngineOptions& o);
  // tokenizer may be null (text comes from the byte vocabulary when the
  // config says so, else events carry ids only).
  static StatusOr<std::unique_ptr<Engine>> Create(std::unique_ptr<Transformer> model,
                                                  std::unique_ptr<Tokenizer> tokenizer,
                                                  const EngineOptions& o);
  // Stops the loop. Requests still pending get no further events.
  ~Engine();

  // Thread-safe. Returns the request id, or why it can never run.
  StatusOr<int64_t> Submit(GenerationRequest request, EventCallback callback);
  // Thread-safe; unknown or finished ids are ignored.
  void Cancel(int64_t id);
  // Runs one step on this thread (not while Start()ed). True while work remains.
  bool Step();
  // Background step loop; Stop() cancels nothing, it waits for the loop to exit.
  void Start();
  void Stop();
  // Blocking: submits and waits. Without Start() it runs Step() itself, so
  // then only one thread may call it (or Step) at a time; with Start() any
  // number of threads may. Errors (a refused request) come back in .error.
  GenerationResult Generate(GenerationRequest request);

  // Text <-> ids (tokenizer.json, or the byte vocabulary).
  StatusOr<std::vector<int32_t>> Encode(const std::string& text) const { return Encode(text, true); }
  // add_special_tokens: the tokenizer's post-processor (e.g. a BOS) or not
  // (a rendered chat template already holds its special tokens).
  StatusOr<std::vector<int32_t>> Encode(const std::string& text, bool add_special_tokens) const;
  std::string Decode(const std::vector<int32_t>& ids) const;
  bool has_text() const { return tokenizer_ != nullptr || bytes_; }
  const ModelConfig& config() const { return model_->config(); }
  const std::vector<int32_t>& eos_ids() const { return eos_ids_; }
  EngineStats stats() const;  // thread-safe

 private:
  struct Request;
  Engine() = default;
  Status Init(const EngineOptions& o);
  void DrainInbox();
  void Finish(Request* r, FinishReason reason, Status error, std::vector<TokenEvent>* out);

  std::unique_ptr<Transformer> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  bool bytes_ = false;
  std::vector<int32_t> eos_ids_;
  EngineOptions opt_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<InferenceForward> forward_;
  std::map<int64_t, std::unique_ptr<Request>> requests_;  // step thread only

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Request>> inbox_;
  std::vector<int64_t> cancels_;
  int64_t next_id_ = 1;
  uint64_t seed_counter_ = 0;
  EngineStats stats_;
  bool stop_ = false;
  std::thread loop_;
  std::atomic<bool> running_loop_{false};
};

}  // namespace seek
