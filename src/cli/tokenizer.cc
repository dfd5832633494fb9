// `seek tokenizer encode|decode --tokenizer PATH [--special]`: the contract of issue 4.
//   encode: UTF-8 lines on stdin -> one JSON array of ids per line
//   decode: one JSON array of ids per line on stdin -> one text line each
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "tokenizer/tokenizer.h"

namespace seek::cli {
namespace {

struct TokenizerFlags {
  std::string path;
  bool special = false;       // encode: add the post-processor's special tokens
  bool skip_special = false;  // decode: drop special tokens from the text
};

int RunEncode(const TokenizerFlags& f) {
  auto t = Tokenizer::FromFile(f.path);
  if (!t.ok()) return Fail("tokenizer encode", t.status());
  std::string line;
  while (std::getline(std::cin, line)) {
    auto ids = (*t)->EncodeOrError(line, f.special);
    if (!ids.ok()) return Fail("tokenizer encode", ids.status());
    std::printf("%s\n", nlohmann::json(*ids).dump().c_str());
  }
  return 0;
}

int RunDecode(const TokenizerFlags& f) {
  auto t = Tokenizer::FromFile(f.path);
  if (!t.ok()) return Fail("tokenizer decode", t.status());
  std::string line;
  for (int64_t no = 1; std::getline(std::cin, line); ++no) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    std::vector<int32_t> ids;
    bool ok = j.is_array();
    for (const auto& v : ok ? j : nlohmann::json::array()) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX) ok = false;
      else ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
    if (!ok)
      return Fail("tokenizer decode",
                  InvalidArgumentError("stdin line {}: expected a JSON array of token ids (integers >= 0)", no));
    std::printf("%s\n", (*t)->Decode(ids, f.skip_special).c_str());
  }
  return 0;
}

}  // namespace

void AddTokenizerCommand(CLI::App& app, Action* run) {
  CLI::App* c = app.add_subcommand(
      "tokenizer", "Encode, decode, train and apply chat templates of Hugging Face tokenizers");
  c->require_subcommand(1);
  auto f = std::make_shared<TokenizerFlags>();
  CLI::App* enc = c->add_subcommand("encode", "UTF-8 lines on stdin -> one JSON array of ids per line");
  CLI::App* dec = c->add_subcommand("decode", "JSON id arrays on stdin, one per line -> text lines");
  for (CLI::App* s : {enc, dec}) {
    s->add_option("--tokenizer", f->path, "tokenizer.json, or a directory holding one")->required()->check(CLI::ExistingPath);
  }
  enc->add_flag("--special", f->special, "add the post-processor's special tokens (e.g. BOS)");
  dec->add_flag("--skip-special", f->skip_special, "drop special tokens from the text");
  enc->callback([f, run] { *run = [f] { return RunEncode(*f); }; });
  dec->callback([f, run] { *run = [f] { return RunDecode(*f); }; });
  AddTokenizerTrainCommand(*c, run);
  AddTokenizerChatCommand(*c, run);
}

}  // namespace seek::cli
