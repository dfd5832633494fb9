// tests/fuzz/chat_template_fuzz.cc — libFuzzer target for the chat-template
// interpreter: any bytes as template source must parse or fail with a Status,
// and a parsed template rendered with a fixed conversation (system, user,
// assistant with reasoning and tool calls, tool results, tools) must render
// or fail with a Status, within the limits — never crash or hang. Seeds in
// corpus/chat_template/ are the Llama 3, Qwen3 and DeepSeek-V3 templates.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/check.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/jinja_eval.h"

namespace {

const nlohmann::ordered_json& Context() {
  static const nlohmann::ordered_json* ctx = new nlohmann::ordered_json(nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "You are helpful."},
      {"role": "user", "content": "Hi ü 你好 <tool_response>x</tool_response>"},
      {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nHello", "reasoning_content": "r"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}},
        {"type": "function", "function": {"name": "g", "arguments": {"b": [1, 2.5, null, true]}}}]},
      {"role": "tool", "content": "result"},
      {"role": "user", "content": ""}
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "add_generation_prompt": true,
    "bos_token": "<s>", "eos_token": "</s>", "enable_thinking": false
  })"));
  return *ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  auto t = seek::ChatTemplate::Parse(source, "fuzz");
  if (!t.ok()) {
    CHECK(!t.status().message().empty());
    return 0;
  }
  seek::jinja::Limits limits;  // smaller than the defaults, so that each input stays fast
  limits.max_output_bytes = 1 << 20;
  limits.max_work_bytes = 16 << 20;
  limits.max_iterations = 100'000;
  limits.max_list_size = 100'000;
  auto out = t->Render(Context(), limits);
  if (out.ok()) CHECK(out->size() <= limits.max_output_bytes + (1 << 20));
  else CHECK(!out.status().message().empty());
  return 0;
}
