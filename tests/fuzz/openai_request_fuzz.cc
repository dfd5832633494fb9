// tests/fuzz/openai_request_fuzz.cc — libFuzzer target for the OpenAI request
// parsers of `seek serve`: any bytes as a /v1/completions, /v1/chat/completions,
// /tokenize or /detokenize body must parse or be refused with a 400 error body
// that is valid JSON — never crash, hang or throw. A parsed completion request
// is then rendered as a response (streamed and whole) from a few synthetic
// token events, and both must be valid JSON. Seeds in corpus/openai_request/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/check.h"
#include "serve/openai_request.h"
#include "serve/openai_response.h"

namespace {

void CheckErrorBody(const seek::ApiError& e) {
  CHECK(e.http_status == 400);
  CHECK(!e.message.empty());
  CHECK(nlohmann::json::accept(e.Body()));
}

void RenderResponse(const seek::CompletionRequest& r) {
  const size_t prompts = r.chat ? 1 : r.prompts.size();
  std::vector<std::string> texts;
  for (size_t i = 0; i < prompts; ++i) texts.push_back(r.chat ? "" : r.prompts[i].text);
  auto tok = [](int32_t id) { return std::string(1, static_cast<char>(id & 0xff)); };
  seek::OpenAiResponse streamed(r, "m", tok, texts, std::vector<int64_t>(prompts, 3));
  seek::OpenAiResponse whole(r, "m", tok, texts, std::vector<int64_t>(prompts, 3));
  std::string sse;
  for (int64_t i = 0; i < static_cast<int64_t>(prompts) * r.n; ++i) {
    for (int k = 0; k < 2; ++k) {
      seek::TokenEvent e;
      e.token = 200 + k;  // byte 0xc8 / 0xc9: invalid UTF-8 on its own
      e.text = k ? "\xff" : "ok";
      e.logprobs = seek::TokenLogprobs{-1.f, {{e.token, -1.f}}};
      e.finished = k == 1;
      e.finish_reason = seek::FinishReason::kStop;
      e.completion_tokens = 2;
      sse += streamed.Chunk(i, e);
      whole.Add(i, e);
    }
  }
  sse += streamed.End();
  CHECK(nlohmann::json::accept(whole.Body()));
  size_t pos = 0;
  while ((pos = sse.find("data: ", pos)) != std::string::npos) {
    const size_t end = sse.find("\n\n", pos);
    CHECK(end != std::string::npos);
    const std::string data = sse.substr(pos + 6, end - pos - 6);
    CHECK(data == "[DONE]" || nlohmann::json::accept(data));
    pos = end + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (bool chat : {false, true}) {
    seek::CompletionRequest r;
    seek::ApiError e;
    if (seek::ParseCompletionRequest(body, chat, &r, &e)) {
      if (r.n * (r.chat ? 1 : static_cast<int64_t>(r.prompts.size())) <= 64) RenderResponse(r);
    } else {
      CheckErrorBody(e);
    }
  }
  seek::TokenizeRequest t;
  seek::ApiError e;
  if (!seek::ParseTokenizeRequest(body, &t, &e)) CheckErrorBody(e);
  seek::DetokenizeRequest d;
  if (!seek::ParseDetokenizeRequest(body, &d, &e)) CheckErrorBody(e);
  return 0;
}
