// tests/data/tiny_tokenizer_util.h — a small, valid byte-level BPE
// tokenizer.json built in the test (no downloaded files): the 256 byte
// characters, a few merges of common English pieces and optional added
// special tokens after them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/unicode.h"

namespace seek::testing {

// `specials` become added special tokens with the ids following the vocabulary.
inline nlohmann::json TinyBpeTokenizerJson(const std::vector<std::string>& specials) {
  using nlohmann::json;
  const ByteLevelAlphabet& a = ByteLevelAlphabet::Get();
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[a.Encode(static_cast<uint8_t>(b))] = b;
  const std::string sp = a.Encode(' ');
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"t", "h"}, {"th", "e"}, {"i", "n"}, {"a", "n"}, {"an", "d"}, {sp, "the"}, {sp, "and"},
      {"e", "r"}, {"o", "n"}, {sp, "a"}, {"in", "g"}};
  int id = 256;
  json merge_list = json::array();
  for (const auto& [l, r] : merges) {
    if (!vocab.contains(l + r)) vocab[l + r] = id++;
    merge_list.push_back(l + " " + r);
  }
  json added = json::array();
  for (const std::string& s : specials)
    added.push_back({{"id", id++}, {"content", s}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  return json{{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
              {"post_processor", {{"type", "ByteLevel"}}},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}}}};
}

}  // namespace seek::testing
