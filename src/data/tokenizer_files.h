// data/tokenizer_files.h — a tokenizer as it travels with data and models:
// tokenizer.json + tokenizer_config.json, and the end-of-text id that
// separates documents.
//
// `seek shards --tokenizer` loads a TokenizerBundle, encodes with it and
// saves its files next to the shards; the trainer finds them there
// (FindShardTokenizer), copies them into every checkpoint, and `seek sample`
// loads them back from the model directory. The saved tokenizer_config.json
// always names the end-of-text token as "eos_token", so every later reader
// agrees on it without flags.
//
// Ownership: a bundle owns its Tokenizer. Thread-safety: as Tokenizer (const
// methods are safe concurrently).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "tokenizer/tokenizer.h"

namespace seek {

inline constexpr const char* kTokenizerJson = "tokenizer.json";
inline constexpr const char* kTokenizerConfigJson = "tokenizer_config.json";

struct TokenizerBundle {
  std::unique_ptr<Tokenizer> tokenizer;
  std::string tokenizer_json;             // the file's bytes, as read
  nlohmann::json tokenizer_config;        // an object; "eos_token" = eot_token
  std::string eot_token;                  // e.g. "<|endoftext|>"
  int32_t eot_id = -1;                    // its id
  std::string source;                     // the tokenizer.json path it came from
};

// The names tried, in order, when neither a flag nor tokenizer_config.json
// names the end-of-text token.
inline constexpr const char* kEndOfTextNames[] = {"<|endoftext|>", "<|end_of_text|>", "</s>"};

// Loads `path` (a tokenizer.json or a folder holding one) and the
// tokenizer_config.json beside it, if any. The end-of-text token is
// `eot_override` when non-empty, else tokenizer_config.json's "eos_token"
// (a string or {"content": ...}), else the first of kEndOfTextNames the
// tokenizer knows. Errors name the path and say how to fix it: a missing or
// broken file, an end-of-text token the vocabulary lacks, or none at all.
StatusOr<TokenizerBundle> LoadTokenizerBundle(const std::string& path,
                                              const std::string& eot_override = "");

// Writes DIR/tokenizer.json (the bytes as read) and DIR/tokenizer_config.json,
// each atomically.
Status SaveTokenizerFiles(const TokenizerBundle& bundle, const std::string& dir);
// Removes DIR/tokenizer.json and DIR/tokenizer_config.json if present (a
// byte-level shard folder must not carry a stale tokenizer).
Status RemoveTokenizerFiles(const std::string& dir);

// The tokenizer that wrote a list of shards: the tokenizer.json in each
// shard's folder. nullopt when no folder has one (byte-level shards). Errors
// when some folders have one and others do not, or when two folders hold
// different tokenizers (naming both files).
StatusOr<std::optional<TokenizerBundle>> FindShardTokenizer(const std::vector<std::string>& shards);

}  // namespace seek
