// `seek tokenizer chat --tokenizer DIR [--generation-prompt] [--tools FILE] [--var KEY=JSON]`:
// renders a chat with the model's chat template (tokenizer_config.json).
//   stdin:  one JSON array of messages ({"role", "content", ...}), whole input
//   stdout: the rendered prompt exactly as the template produces it; nothing
//           is added (no trailing newline unless the template renders one)
// Exit 2 on bad input: unreadable config, no chat template, stdin not a JSON
// array of objects, or a template error (raise_exception, unknown construct).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "io/file_util.h"
#include "tokenizer/chat_template.h"

namespace seek::cli {
namespace {

struct ChatFlags {
  std::string path;
  bool generation_prompt = false;
  std::string tools_file;
  std::vector<std::string> vars;  // KEY=JSON, e.g. enable_thinking=false
};

int RunChat(const ChatFlags& f) {
  auto fmt = ChatFormatter::FromFile(f.path);
  if (!fmt.ok()) return Fail("tokenizer chat", fmt.status());
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  nlohmann::ordered_json messages = nlohmann::ordered_json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (messages.is_discarded() || !messages.is_array())
    return Fail("tokenizer chat",
                InvalidArgumentError("stdin must hold one JSON array of messages, e.g. "
                                     "[{{\"role\": \"user\", \"content\": \"Hi\"}}]"));
  nlohmann::ordered_json tools = nullptr;
  if (!f.tools_file.empty()) {
    auto text = ReadFileToString(f.tools_file);
    if (!text.ok()) return Fail("tokenizer chat", text.status());
    tools = nlohmann::ordered_json::parse(*text, nullptr, false);
    if (tools.is_discarded() || !tools.is_array())
      return Fail("tokenizer chat", InvalidArgumentError("--tools {}: expected a JSON array of tool schemas", f.tools_file));
  }
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  for (const std::string& kv : f.vars) {
    const size_t eq = kv.find('=');
    nlohmann::ordered_json v =
        eq == std::string::npos ? nlohmann::ordered_json() : nlohmann::ordered_json::parse(kv.substr(eq + 1), nullptr, false);
    if (eq == std::string::npos || eq == 0 || v.is_discarded())
      return Fail("tokenizer chat", InvalidArgumentError("--var '{}': expected KEY=JSON, e.g. enable_thinking=false", kv));
    extra[kv.substr(0, eq)] = v;
  }
  auto text = fmt->Apply(messages, f.generation_prompt, tools, extra);
  if (!text.ok()) return Fail("tokenizer chat", text.status());
  std::fwrite(text->data(), 1, text->size(), stdout);
  return 0;
}

}  // namespace

void AddTokenizerChatCommand(CLI::App& tokenizer, Action* run) {
  auto f = std::make_shared<ChatFlags>();
  CLI::App* c = tokenizer.add_subcommand(
      "chat", "JSON array of chat messages on stdin -> the prompt rendered by the model's chat template");
  c->add_option("--tokenizer", f->path, "tokenizer_config.json, or a directory holding one")
      ->required()
      ->check(CLI::ExistingPath);
  c->add_flag("--generation-prompt", f->generation_prompt, "add_generation_prompt=true (open an assistant turn)");
  c->add_option("--tools", f->tools_file, "JSON file with an array of tool schemas, passed as `tools`")
      ->check(CLI::ExistingFile);
  c->add_option("--var", f->vars, "extra template variable KEY=JSON (repeatable), e.g. enable_thinking=false");
  c->callback([f, run] { *run = [f] { return RunChat(*f); }; });
}

}  // namespace seek::cli
