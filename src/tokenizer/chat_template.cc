// tokenizer/chat_template.cc — ChatTemplate and ChatFormatter (chat_template.h).
#include "tokenizer/chat_template.h"

#include <filesystem>

#include "io/file_util.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_eval.h"

namespace seek {

StatusOr<ChatTemplate> ChatTemplate::Parse(std::string_view source, std::string name) {
  auto tokens = jinja::Lex(source);
  if (!tokens.ok()) return tokens.status().WithContext("chat template " + name);
  auto body = jinja::Parse(*tokens);
  if (!body.ok()) return body.status().WithContext("chat template " + name);
  ChatTemplate t;
  t.name_ = std::move(name);
  t.body_ = std::make_shared<const jinja::Body>(std::move(*body));
  return t;
}

StatusOr<std::string> ChatTemplate::Render(const nlohmann::ordered_json& context) const {
  return Render(context, jinja::Limits{});
}

StatusOr<std::string> ChatTemplate::Render(const nlohmann::ordered_json& context, const jinja::Limits& limits) const {
  if (!context.is_object())
    return InvalidArgumentError("chat template {}: the context must be a JSON object, got {}", name_,
                                context.type_name());
  std::unordered_map<std::string, jinja::Value> globals;
  for (auto it = context.begin(); it != context.end(); ++it) {
    auto v = jinja::FromJson(it.value());
    if (!v.ok()) return v.status().WithContext(fmt::format("chat template {}: variable '{}'", name_, it.key()));
    globals[it.key()] = std::move(*v);
  }
  jinja::Renderer r(name_, std::move(globals), limits);
  return r.Render(*body_);
}

namespace {

// A special token in tokenizer_config.json: a string or {"content": ...}.
std::optional<std::string> TokenContent(const nlohmann::ordered_json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
  return std::nullopt;
}

}  // namespace

StatusOr<ChatFormatter> ChatFormatter::FromFile(const std::string& path) {
  std::error_code ec;
  std::string file = path;
  if (std::filesystem::is_directory(path, ec)) file = (std::filesystem::path(path) / "tokenizer_config.json").string();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
  return FromJsonString(text, file);
}

StatusOr<ChatFormatter> ChatFormatter::FromJsonString(std::string_view json_text, const std::string& name) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("{}: not a JSON object", name);
  auto it = j.find("chat_template");
  if (it == j.end() || it->is_null())
    return NotFoundError("{}: no 'chat_template' (this tokenizer has no chat template)", name);
  std::string source;
  if (it->is_string()) {
    source = it->get<std::string>();
  } else if (it->is_array()) {  // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
    bool found = false;
    for (const auto& e : *it) {
      if (e.is_object() && e.contains("name") && e["name"] == "default" && e.contains("template") &&
          e["template"].is_string()) {
        source = e["template"].get<std::string>();
        found = true;
      }
    }
    if (!found)
      return InvalidArgumentError("{}: 'chat_template' is a list without an entry named \"default\" holding a string "
                                  "'template'",
                                  name);
  } else {
    return InvalidArgumentError("{}: 'chat_template' must be a string or a list of {{name, template}}, got {}", name,
                                it->type_name());
  }
  ASSIGN_OR_RETURN(ChatTemplate t, ChatTemplate::Parse(source, name));
  ChatFormatter f(std::move(t));
  for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    auto tok = j.find(key);
    if (tok == j.end()) continue;
    if (std::optional<std::string> s = TokenContent(*tok)) f.special_tokens_[key] = *s;
  }
  return f;
}

StatusOr<std::string> ChatFormatter::Apply(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                           const nlohmann::ordered_json& tools,
                                           const nlohmann::ordered_json& extra) const {
  if (!messages.is_array())
    return InvalidArgumentError("chat messages must be a JSON array of objects, got {}", messages.type_name());
  for (size_t k = 0; k < messages.size(); ++k)
    if (!messages[k].is_object())
      return InvalidArgumentError("chat message {} must be a JSON object with 'role' and 'content', got {}", k,
                                  messages[k].type_name());
  if (!extra.is_object()) return InvalidArgumentError("extra template variables must be a JSON object");
  nlohmann::ordered_json ctx = nlohmann::ordered_json::object();
  ctx["messages"] = messages;
  ctx["add_generation_prompt"] = add_generation_prompt;
  ctx["tools"] = tools;
  ctx["documents"] = nullptr;
  for (auto it = special_tokens_.begin(); it != special_tokens_.end(); ++it) ctx[it.key()] = it.value();
  for (auto it = extra.begin(); it != extra.end(); ++it) ctx[it.key()] = it.value();
  return template_.Render(ctx);
}

}  // namespace seek
