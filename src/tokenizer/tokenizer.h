// tokenizer/tokenizer.h — Hugging Face tokenizer.json (byte-level BPE):
// encode text to ids and decode ids to text exactly as the reference
// implementation (transformers.js / tokenizers) does for Llama 3, Qwen 2/3,
// DeepSeek-V3 and GPT-2 style tokenizers.
//
// Pipeline of Encode:
//   1. added tokens (special or not) are cut out of the raw text, leftmost
//      and longest first; lstrip/rstrip trim whitespace next to them;
//   2. each remaining section is normalised (normalizer), split into words
//      (pre_tokenizer) and each word is run through the BPE model;
//   3. with add_special_tokens, the post_processor adds its special tokens
//      (TemplateProcessing; ByteLevel adds none).
// Input that is not valid UTF-8 is first repaired: each ill-formed
// subsequence becomes U+FFFD, as the reference does when it reads bytes.
//
// Supported components are listed in docs/formats/tokenizer.md; any other
// type or option value makes FromFile fail with UnimplementedError naming
// it, so a tokenizer never loads in a silently wrong state.
//
// Thread-safety: a loaded Tokenizer is immutable apart from the BPE model's
// per-thread word caches; all const methods may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"

namespace seek {

class Tokenizer {
 public:
  // `path` is a tokenizer.json file or a directory that holds one.
  static StatusOr<std::unique_ptr<Tokenizer>> FromFile(const std::string& path);
  // `json_text` is the contents of a tokenizer.json; `name` labels errors.
  static StatusOr<std::unique_ptr<Tokenizer>> FromJsonString(std::string_view json_text,
                                                             const std::string& name);
  ~Tokenizer();

  // Returns an empty vector (and logs the error) if an internal limit is hit
  // (PCRE2's 64 MiB JIT stack, ICU data missing); EncodeOrError reports it.
  std::vector<int32_t> Encode(std::string_view text, bool add_special_tokens) const;
  StatusOr<std::vector<int32_t>> EncodeOrError(std::string_view text, bool add_special_tokens) const;
  // Encodes `texts` on `threads` threads (0: hardware concurrency; OpenMP's
  // pool, so the word caches persist between calls; serial when called
  // inside another OpenMP parallel region); the result is the same as
  // calling Encode on each text in turn.
  std::vector<std::vector<int32_t>> EncodeBatch(const std::vector<std::string>& texts, bool add_special_tokens,
                                                int threads) const;

  // Ids outside the vocabulary are skipped; bytes that do not form valid
  // UTF-8 (a cut character) become U+FFFD, as in the reference.
  std::string Decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  // The vocabulary or added-token string of `id` (byte-level alphabet for
  // model tokens); nullopt if unknown.
  std::optional<std::string> IdToToken(int32_t id) const;
  // One past the largest id (model vocabulary and added tokens).
  int32_t vocab_size() const;

 private:
  struct AddedToken {
    std::string content;
    int32_t id;
    bool special, lstrip, rstrip;
  };
  struct TrieNode;
  Tokenizer();
  Status ParseAddedTokens(const nlohmann::json& j, const std::string& file);
  Status ParsePostProcessor(const nlohmann::json& j, const std::string& file);
  // Cuts `text` into sections; `added` holds the added-token index for a
  // section that is an added token, -1 otherwise.
  void SplitAddedTokens(std::string_view text, std::vector<std::string_view>* sections,
                        std::vector<int>* added) const;
  const AddedToken* FindAdded(int32_t id) const;
  // The added token whose content is exactly `content`, or null.
  const AddedToken* FindAddedContent(std::string_view content) const;
  bool IsSpecialContent(std::string_view content) const;

  std::string file_;
  Normalizer normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::vector<AddedToken> added_;
  std::unordered_map<int32_t, size_t> added_by_id_;  // id -> index into added_
  std::unique_ptr<TrieNode> trie_;
  std::array<bool, 256> added_first_byte_{};  // first bytes of added tokens
  std::vector<int32_t> prefix_ids_, suffix_ids_;  // post_processor, single sequence
  std::unique_ptr<Decoder> decoder_;
};

}  // namespace seek
