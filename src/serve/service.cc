#include "serve/service.h"

#include <filesystem>

#include "core/check.h"
#include "io/file_util.h"

namespace seek {
namespace {

using Clock = std::chrono::steady_clock;

// For a model whose tokenizer has no chat template (a base model): ChatML,
// the fallback llama.cpp's server uses too.
constexpr const char* kChatMlTemplate =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% endif %}";

std::unique_ptr<ChatFormatter> ChatMl() {
  nlohmann::ordered_json j = {{"chat_template", kChatMlTemplate}};
  StatusOr<ChatFormatter> f = ChatFormatter::FromJsonString(j.dump(), "ChatML (default)");
  CHECK_OK(f.status());
  return std::make_unique<ChatFormatter>(std::move(*f));
}

StatusOr<std::unique_ptr<ChatFormatter>> LoadChat(const std::string& dir, const std::string& override_path) {
  std::string path = override_path;
  if (path.empty()) {
    path = dir + "/tokenizer_config.json";
    if (!std::filesystem::exists(path)) path.clear();
  }
  StatusOr<ChatFormatter> f = NotFoundError("no tokenizer_config.json");
  if (!path.empty() && std::filesystem::path(path).extension() == ".jinja") {
    ASSIGN_OR_RETURN(std::string source, ReadFileToString(path));
    nlohmann::ordered_json j = {{"chat_template", source}};
    f = ChatFormatter::FromJsonString(j.dump(), path);
  } else if (!path.empty()) {
    f = ChatFormatter::FromFile(path);
  }
  if (f.ok()) return std::make_unique<ChatFormatter>(std::move(*f));
  // An explicit template must load; a model without one gets ChatML.
  if (!override_path.empty() || f.status().code() != StatusCode::kNotFound) return f.status();
  return ChatMl();
}

}  // namespace

bool GenerationStream::Wait(std::vector<ChoiceEvent>* out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return !queue_.empty() || n_finished_ == n(); });
  while (!queue_.empty()) {
    out->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return n_finished_ < n() || !out->empty();
}

void GenerationStream::Cancel() {
  std::vector<int64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_ || n_finished_ == n()) return;
    cancelled_ = true;
    ids = ids_;
  }
  for (int64_t id : ids) engine_->Cancel(id);
}

double GenerationStream::Elapsed() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void GenerationStream::Push(int64_t index, const TokenEvent& e) {
  const Clock::time_point now = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.token >= 0) {
      metrics_->generation_tokens.fetch_add(1, std::memory_order_relaxed);
      if (!got_token_[index])
        metrics_->time_to_first_token.Observe(std::chrono::duration<double>(now - start_).count());
      else
        metrics_->inter_token_latency.Observe(
            std::chrono::duration<double>(now - last_token_[index]).count());
      got_token_[index] = 1;
      last_token_[index] = now;
    }
    if (e.finished && !finished_[index]) {
      finished_[index] = 1;
      ++n_finished_;
      metrics_->CountFinished(e.finish_reason);
      metrics_->e2e_latency.Observe(std::chrono::duration<double>(now - start_).count());
    }
    queue_.push_back(ChoiceEvent{index, e});
  }
  cv_.notify_all();
}

StatusOr<std::unique_ptr<InferenceService>> InferenceService::Load(const std::string& dir,
                                                                   const EngineOptions& engine_options,
                                                                   const ServiceOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Load(dir, engine_options));
  ASSIGN_OR_RETURN(std::unique_ptr<ChatFormatter> chat, LoadChat(dir, options.chat_template_path));
  ServiceOptions o = options;
  if (o.model_name.empty()) {
    std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    o.model_name = p.filename().string();
  }
  return Create(std::move(engine), std::move(chat), o);
}

std::unique_ptr<InferenceService> InferenceService::Create(std::unique_ptr<Engine> engine,
                                                           std::unique_ptr<ChatFormatter> chat,
                                                           const ServiceOptions& options) {
  std::unique_ptr<InferenceService> s(new InferenceService());
  s->engine_ = std::move(engine);
  s->chat_ = chat ? std::move(chat) : ChatMl();
  s->options_ = options;
  if (s->options_.model_name.empty()) s->options_.model_name = "seek";
  s->created_ = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  s->engine_->Start();
  return s;
}

InferenceService::~InferenceService() {
  if (engine_) engine_->Stop();
}

StatusOr<std::vector<int32_t>> InferenceService::Tokenize(const std::string& text,
                                                          bool add_special_tokens) const {
  return engine_->Encode(text, add_special_tokens);
}

StatusOr<std::string> InferenceService::Detokenize(const std::vector<int32_t>& ids) const {
  if (!engine_->has_text()) return UnimplementedError("this model has no tokenizer.json; it cannot make text");
  const int64_t V = engine_->config().vocab_size;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= V)
      return InvalidArgumentError("token id {} at index {} is outside the vocabulary [0, {})", ids[i], i, V);
  return engine_->Decode(ids);
}

StatusOr<std::string> InferenceService::RenderChat(const nlohmann::ordered_json& messages,
                                                   bool add_generation_prompt,
                                                   const nlohmann::ordered_json& tools,
                                                   const nlohmann::ordered_json& extra) const {
  if (!chat_) return UnimplementedError("this model has no chat template");
  return chat_->Apply(messages, add_generation_prompt, tools, extra);
}

StatusOr<std::shared_ptr<GenerationStream>> InferenceService::Generate(std::vector<int32_t> prompt,
                                                                       SamplingParams sampling, int64_t n) {
  if (n < 1 || n > options_.max_n) {
    metrics_.CountRejected();
    return InvalidArgumentError("n must be in [1, {}], got {}", options_.max_n, n).WithField("n");
  }
  auto stream = std::make_shared<GenerationStream>();
  stream->engine_ = engine_.get();
  stream->metrics_ = &metrics_;
  stream->n_ = n;
  stream->prompt_tokens_ = static_cast<int64_t>(prompt.size());
  stream->start_ = Clock::now();
  stream->last_token_.resize(n);
  stream->got_token_.assign(n, 0);
  stream->finished_.assign(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    GenerationRequest r;
    r.prompt = prompt;
    r.sampling = sampling;
    if (sampling.seed) r.sampling.seed = *sampling.seed + static_cast<uint64_t>(i);
    // The stream outlives the engine's callbacks: they hold a reference.
    StatusOr<int64_t> id = engine_->Submit(std::move(r), [stream, i](const TokenEvent& e) {
      stream->Push(i, e);
    });
    if (!id.ok()) {
      for (int64_t submitted : stream->ids_) engine_->Cancel(submitted);
      metrics_.CountRejected();
      return id.status();
    }
    std::lock_guard<std::mutex> lock(stream->mu_);
    stream->ids_.push_back(*id);
  }
  metrics_.prompt_tokens.fetch_add(static_cast<int64_t>(prompt.size()) * n, std::memory_order_relaxed);
  return stream;
}

bool InferenceService::Ready() const {
  const EngineStats s = engine_->stats();
  if (s.running == 0 && s.waiting == 0) return true;
  if (s.steps == 0) return false;
  return Clock::now() - s.last_step < std::chrono::seconds(30);
}

std::string InferenceService::MetricsText() const {
  return metrics_.Render(engine_->stats(), options_.model_name);
}

}  // namespace seek
