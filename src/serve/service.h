// serve/service.h — what the HTTP and gRPC front ends share: one loaded
// model behind a running Engine, its tokenizer and chat template, request
// admission (context, vocabulary, sampling checks) and the serving metrics.
//
// A call is Generate(prompt ids, sampling, n): it submits n sequences (choice
// i uses seed + i when a seed is given, so a fixed-seed request gives the same
// choices alone or in a busy batch) and returns a GenerationStream. The front
// end drains the stream's events from its own thread (Wait with a timeout,
// so it can notice a client that went away in between) and calls Cancel()
// when the client disconnects or its deadline passes; the engine then frees
// the sequences' KV blocks at its next step.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "infer/engine.h"
#include "serve/metrics.h"
#include "tokenizer/chat_template.h"

namespace seek {

struct ServiceOptions {
  std::string model_name;          // the id clients send; "" = the directory's name
  std::string chat_template_path;  // a tokenizer_config.json or .jinja file overriding the model's
  int64_t max_n = 16;              // choices per request
};

// One event of one choice.
struct ChoiceEvent {
  int64_t index = 0;  // choice, 0 .. n-1
  TokenEvent event;
};

class InferenceService;

// The events of one call, in the order the engine produced them.
class GenerationStream {
 public:
  // Waits up to `timeout` for events and moves them into *out (appending).
  // Returns false once every choice has finished and all events were taken.
  bool Wait(std::vector<ChoiceEvent>* out, std::chrono::milliseconds timeout);
  // Cancels every unfinished choice (idempotent). Each then ends with an
  // event whose finish_reason is kCancelled.
  void Cancel();
  int64_t n() const { return n_; }
  int64_t prompt_tokens() const { return prompt_tokens_; }
  // Seconds since the call was submitted.
  double Elapsed() const;

 private:
  friend class InferenceService;
  void Push(int64_t index, const TokenEvent& e);

  Engine* engine_ = nullptr;
  ServeMetrics* metrics_ = nullptr;
  int64_t n_ = 0;
  std::vector<int64_t> ids_;  // engine request id per choice (guarded by mu_ while submitting)
  int64_t prompt_tokens_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ChoiceEvent> queue_;
  std::vector<std::chrono::steady_clock::time_point> last_token_;  // per choice
  std::vector<char> got_token_, finished_;
  int64_t n_finished_ = 0;
  bool cancelled_ = false;
};

class InferenceService {
 public:
  // Loads the checkpoint directory (Engine::Load), its chat template
  // (tokenizer_config.json, or options.chat_template_path) and starts the
  // engine's step loop.
  static StatusOr<std::unique_ptr<InferenceService>> Load(const std::string& dir,
                                                          const EngineOptions& engine_options,
                                                          const ServiceOptions& options);
  // Around an existing engine (tests); `chat` null: ChatML.
  static std::unique_ptr<InferenceService> Create(std::unique_ptr<Engine> engine,
                                                  std::unique_ptr<ChatFormatter> chat,
                                                  const ServiceOptions& options);
  ~InferenceService();

  const std::string& model_name() const { return options_.model_name; }
  int64_t created() const { return created_; }  // unix seconds when loaded
  const ModelConfig& config() const { return engine_->config(); }
  int64_t context_length() const { return engine_->config().max_positions; }
  const ServiceOptions& options() const { return options_; }

  // Text <-> ids. NotFound-free: errors are InvalidArgument (bad UTF-8 is
  // repaired by the tokenizer, ids outside the vocabulary are named) or
  // Unimplemented (a model without a tokenizer).
  StatusOr<std::vector<int32_t>> Tokenize(const std::string& text, bool add_special_tokens) const;
  StatusOr<std::string> Detokenize(const std::vector<int32_t>& ids) const;
  bool has_text() const { return engine_->has_text(); }
  bool has_chat_template() const { return chat_ != nullptr; }

  // The chat template applied to `messages` (already validated by the
  // caller as a non-empty array of {role, content: string}).
  StatusOr<std::string> RenderChat(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                   const nlohmann::ordered_json& tools = nullptr,
                                   const nlohmann::ordered_json& extra =
                                       nlohmann::ordered_json::object()) const;

  // Admits a call of n choices: InvalidArgument naming the value when the
  // prompt is empty, an id is outside the vocabulary, prompt + max_tokens
  // passes the context, the sampling values are out of range or n is not in
  // [1, max_n]. Nothing is submitted unless every choice can be.
  StatusOr<std::shared_ptr<GenerationStream>> Generate(std::vector<int32_t> prompt,
                                                       SamplingParams sampling, int64_t n);

  // Live: the process answers. Ready: the model is loaded and the step loop
  // is making progress (idle, or a step finished within the last 30 s).
  bool Ready() const;
  // Prometheus text exposition of the serving metrics and the engine's state.
  std::string MetricsText() const;
  ServeMetrics& metrics() { return metrics_; }
  Engine& engine() { return *engine_; }

 private:
  InferenceService() = default;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ChatFormatter> chat_;
  ServiceOptions options_;
  int64_t created_ = 0;
  ServeMetrics metrics_;
};

}  // namespace seek
