// tokenizer/chat_template.h — renders a Hugging Face chat template (the Jinja
// `chat_template` of tokenizer_config.json) exactly as transformers does
// (Jinja2 with trim_blocks and lstrip_blocks, tojson = json.dumps with
// ensure_ascii=False, raise_exception).
//
// The interpreter implements the Jinja subset that real chat templates use
// (the full list is in docs/formats/tokenizer.md): for/if/set/namespace,
// whitespace control, Python-like expressions, filters, tests and string
// methods. Anything outside the subset — an unknown tag, filter, test,
// method or function — is an error naming it and its line and column, never
// silently ignored. raise_exception(msg) fails the render with msg.
//
// Values follow Python semantics: undefined is falsy and renders as "", None
// renders as "None", strings index and measure by code point, and a
// {% set %} inside a loop body lasts for one iteration (use namespace()).
// Rendering is bounded: output and any one string are capped at 64 MiB, loop
// iterations at one million, and a template cannot recurse, so a hostile
// template fails with a Status instead of hanging or crashing.
//
// Thread-safety: a parsed ChatTemplate is immutable; Render may be called
// concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

namespace jinja {
struct Stmt;
struct Limits;
}

class ChatTemplate {
 public:
  // Parses `source`; `name` labels errors ("line 3 column 7: ..."). Syntax
  // errors and unknown tags are reported here, unknown filters/tests/methods
  // when rendering reaches them.
  static StatusOr<ChatTemplate> Parse(std::string_view source, std::string name);

  // Renders with `context` (a JSON object) as the global variables. Key order
  // of JSON objects is kept (it shows in `tojson`), so pass ordered_json.
  StatusOr<std::string> Render(const nlohmann::ordered_json& context) const;
  // The same with other limits than the defaults of jinja_eval.h (tests, fuzzing).
  StatusOr<std::string> Render(const nlohmann::ordered_json& context, const jinja::Limits& limits) const;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::shared_ptr<const std::vector<std::unique_ptr<jinja::Stmt>>> body_;
};

// The chat template of a tokenizer_config.json with the special tokens that
// transformers puts into the template's context.
class ChatFormatter {
 public:
  // `path` is a tokenizer_config.json or a directory holding one. The
  // chat_template may be a string or a list of {"name", "template"} (the one
  // named "default" is used).
  static StatusOr<ChatFormatter> FromFile(const std::string& path);
  // `json_text` is the contents of a tokenizer_config.json; `name` labels errors.
  static StatusOr<ChatFormatter> FromJsonString(std::string_view json_text, const std::string& name);

  // Renders `messages` (a JSON array of {"role", "content", ...}) as
  // tokenizer.apply_chat_template(messages, tokenize=False,
  // add_generation_prompt=...) does. `tools` (null if none) and each key of
  // `extra` (e.g. {"enable_thinking": false}) are passed to the template too.
  StatusOr<std::string> Apply(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                              const nlohmann::ordered_json& tools = nullptr,
                              const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) const;

  const ChatTemplate& chat_template() const { return template_; }
  // Special tokens given to the template (bos_token, eos_token, ...), as set in the config.
  const nlohmann::ordered_json& special_tokens() const { return special_tokens_; }

 private:
  explicit ChatFormatter(ChatTemplate t) : template_(std::move(t)) {}
  ChatTemplate template_;
  nlohmann::ordered_json special_tokens_ = nlohmann::ordered_json::object();
};

}  // namespace seek
