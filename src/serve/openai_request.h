// serve/openai_request.h — parses and checks the bodies of OpenAI's
// /v1/completions and /v1/chat/completions (and vLLM's /tokenize,
// /detokenize) into plain structs, and the OpenAI error body that every
// refusal carries.
//
// Parsing checks JSON syntax (including UTF-8), types and the ranges that
// need no model; ranges that need the model (token ids against the
// vocabulary, prompt + max_tokens against the context) are checked when the
// request is admitted. Unknown fields are ignored, as OpenAI does. Extensions
// beyond OpenAI's fields use vLLM's names: top_k, min_p, repetition_penalty,
// ignore_eos, stop_token_ids, return_tokens_as_token_ids,
// add_generation_prompt, chat_template_kwargs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "infer/sampler.h"

namespace seek {

// OpenAI's error object: {"error": {"message", "type", "param", "code"}}.
struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // "" renders as null
  std::string code;   // "" renders as null
  std::string Body() const;
};
// 400 invalid_request_error for InvalidArgument / NotFound / Unimplemented
// (the client asked for something this server cannot do), 500 otherwise. The
// param is the Status's field (Status::WithField), null when it names none.
ApiError ApiErrorFromStatus(const Status& s);

// One prompt: text to tokenize or token ids given by the client.
struct PromptInput {
  std::string text;
  std::vector<int32_t> ids;
  bool is_ids = false;
};

struct CompletionRequest {
  bool chat = false;
  std::string model;
  std::vector<PromptInput> prompts;          // /v1/completions: 1 or more
  nlohmann::ordered_json messages;           // /v1/chat/completions
  nlohmann::ordered_json tools;              // passed to the chat template (null if none)
  nlohmann::ordered_json chat_template_kwargs = nlohmann::ordered_json::object();
  bool add_generation_prompt = true;
  SamplingParams sampling;                   // logprobs: -1 none, else top n
  bool max_tokens_given = false;             // chat: absent = up to the context
  int64_t n = 1;
  bool stream = false, include_usage = false;
  bool echo = false;                         // completions: prepend the prompt
  bool return_tokens_as_token_ids = false;   // logprobs tokens as "token_id:N"
};

// Parses a request body. On failure returns false and fills *error (400,
// with the offending field in param).
bool ParseCompletionRequest(std::string_view body, bool chat, CompletionRequest* out, ApiError* error);

// /tokenize: {"prompt": str, "add_special_tokens": bool} or {"messages": [...],
// "add_generation_prompt": bool}; /detokenize: {"tokens": [int]}.
struct TokenizeRequest {
  std::string model;  // optional
  std::string prompt;
  nlohmann::ordered_json messages;  // null unless given
  bool add_special_tokens = true, add_generation_prompt = true;
};
bool ParseTokenizeRequest(std::string_view body, TokenizeRequest* out, ApiError* error);
struct DetokenizeRequest {
  std::string model;
  std::vector<int32_t> tokens;
};
bool ParseDetokenizeRequest(std::string_view body, DetokenizeRequest* out, ApiError* error);

}  // namespace seek
