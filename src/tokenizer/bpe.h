// tokenizer/bpe.h — the BPE model of a tokenizer.json: vocabulary, ranked
// merges and a thread-safe word -> ids cache.
//
// A word (one pre-token, already in the byte-level alphabet for byte-level
// tokenizers) starts as one symbol per code point and repeatedly merges the
// adjacent pair with the lowest merge rank, leftmost first on ties — the
// order of Hugging Face tokenizers and transformers.js. A min-heap keeps this
// O(n log n) in the word length.
//
// Thread-safety: immutable after FromJson except the cache, which is sharded
// and mutex-guarded; EncodeWord may be called from many threads at once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

class BpeModel {
 public:
  // `model` is tokenizer.json's "model" object; `file` names it in errors.
  // Unsupported: dropout, continuing_subword_prefix, end_of_word_suffix
  // (non-empty) -> Unimplemented.
  static StatusOr<std::unique_ptr<BpeModel>> FromJson(const nlohmann::json& model, const std::string& file);

  // Appends the ids of one word. Symbols outside the vocabulary become
  // <0xXX> byte tokens (byte_fallback), else unk_token, else are dropped.
  void EncodeWord(std::string_view word, std::vector<int32_t>* ids) const;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  // nullptr if `id` is not in the vocabulary.
  const std::string* IdToToken(int32_t id) const;
  int32_t vocab_size() const { return static_cast<int32_t>(id_to_token_.size()); }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  struct PairHash {
    size_t operator()(uint64_t k) const { return k * 0x9E3779B97F4A7C15ull >> 20; }
  };
  static uint64_t PairKey(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void MergeWord(std::string_view word, std::vector<int32_t>* ids) const;
  void AppendUnknown(std::string_view symbol, std::vector<int32_t>* ids) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;  // [vocab_size]; "" for gaps
  std::unordered_map<uint64_t, Merge, PairHash> merges_;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;

  static constexpr int kShards = 64;
  static constexpr size_t kMaxCachedWordBytes = 256;
  static constexpr size_t kMaxEntriesPerShard = 16384;
  struct CacheShard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  mutable std::array<CacheShard, kShards> cache_;
};

}  // namespace seek
