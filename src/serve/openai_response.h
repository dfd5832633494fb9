// serve/openai_response.h — turns the engine's token events of one request
// into OpenAI response bodies: a whole `text_completion` /
// `chat.completion` object, or the server-sent-event chunks of a stream
// (`data: {...}\n\n`, the usage chunk of stream_options.include_usage, and
// `data: [DONE]\n\n`).
//
// Choices are numbered prompt * n + i, as OpenAI numbers the choices of a
// multi-prompt completion. Streamed chunks concatenate to exactly the text
// of the non-streamed response.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infer/engine.h"
#include "serve/openai_request.h"

namespace seek {

class OpenAiResponse {
 public:
  // token_text(id) renders one token for logprobs; prompt_texts are the
  // prompts' texts (for echo); prompt_tokens per prompt.
  OpenAiResponse(const CompletionRequest& req, std::string model, std::function<std::string(int32_t)> token_text,
                 std::vector<std::string> prompt_texts, std::vector<int64_t> prompt_tokens);

  // Streaming: the SSE bytes to send for this event of choice `index`
  // (may be empty: nothing new to say).
  std::string Chunk(int64_t index, const TokenEvent& e);
  // Streaming: the usage chunk (when asked for) and [DONE].
  std::string End();
  // Non-streaming: record an event; then Body() is the whole response.
  void Add(int64_t index, const TokenEvent& e);
  std::string Body() const;

  const std::string& id() const { return id_; }

 private:
  struct Choice {
    std::string text;
    nlohmann::ordered_json logprobs;  // completions: {tokens, token_logprobs, top_logprobs, text_offset}; chat: [..]
    int64_t text_offset = 0;
    std::string finish_reason;
    bool started = false;  // chat stream: the role chunk was sent
    int64_t completion_tokens = 0, cached_tokens = 0;
  };
  nlohmann::ordered_json Logprobs(const TokenEvent& e, Choice* c);
  nlohmann::ordered_json Usage() const;
  nlohmann::ordered_json Envelope(const char* object) const;
  static std::string Sse(const nlohmann::ordered_json& j);

  const CompletionRequest& req_;
  std::string model_, id_;
  int64_t created_;
  std::function<std::string(int32_t)> token_text_;
  std::vector<std::string> prompt_texts_;
  std::vector<int64_t> prompt_tokens_;
  std::vector<Choice> choices_;
  // A stream chunk is chunk_head_ + one choice + chunk_tail_: the envelope
  // (id, object, created, model) is rendered once, not per token.
  std::string chunk_head_, chunk_tail_;
};

// A fresh id with OpenAI's prefix ("cmpl-", "chatcmpl-") and 24 hex digits.
std::string NewResponseId(const char* prefix);

}  // namespace seek
