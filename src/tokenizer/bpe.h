// tokenizer/bpe.h — the BPE model of a tokenizer.json: vocabulary, ranked
// merges and per-thread word -> ids caches.
//
// A word (one pre-token, already in the byte-level alphabet for byte-level
// tokenizers) starts as one symbol per code point and repeatedly merges the
// adjacent pair with the lowest merge rank, leftmost first on ties — the
// order of Hugging Face tokenizers and transformers.js. Words of up to
// kMaxLinearSymbols symbols use a linear scan for the lowest-ranked pair
// (fast path); longer ones a min-heap, O(n log n) (the reference twin, also
// run on short words by the differential tests in fast_path_test.cc).
//
// Byte-level tokenizers may pass words as raw bytes (EncodeByteLevelWord):
// each byte starts as the id of its byte-level character, so the byte-level
// string is never built.
//
// Thread-safety: immutable after FromJson. The word -> ids caches are per
// thread (each thread keeps caches for its kThreadCaches most recently used
// models, each bounded by WordCache's limits), so encoding takes no lock and
// scales with threads. EncodeWord may be called from many threads at once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "tokenizer/word_cache.h"

namespace seek {

class BpeModel {
 public:
  // `model` is tokenizer.json's "model" object; `file` names it in errors.
  // Unsupported: dropout -> Unimplemented. end_of_word_suffix is appended to
  // a word's last character (transformers.js and Hugging Face tokenizers
  // agree); continuing_subword_prefix is put before every character but the
  // first and merges drop it from the right token, as Hugging Face
  // tokenizers does (transformers.js ignores the field).
  static StatusOr<std::unique_ptr<BpeModel>> FromJson(const nlohmann::json& model, const std::string& file);

  // Appends the ids of one word. Symbols outside the vocabulary become
  // <0xXX> byte tokens (byte_fallback), else unk_token, else are dropped.
  void EncodeWord(std::string_view word, std::vector<int32_t>* ids) const;
  // The same as EncodeWord(ByteLevelAlphabet::Get().EncodeBytes(raw), ids),
  // for a word given as raw bytes.
  void EncodeByteLevelWord(std::string_view raw, std::vector<int32_t>* ids) const;

  // Uncached encodings with a chosen merge loop, for the differential tests
  // (kAuto is what the cached calls use).
  enum class MergeLoop { kAuto, kLinear, kHeap };
  void EncodeWordUncached(std::string_view word, MergeLoop loop, std::vector<int32_t>* ids) const;
  void EncodeByteLevelWordUncached(std::string_view raw, MergeLoop loop, std::vector<int32_t>* ids) const;
  static constexpr size_t kMaxLinearSymbols = 96;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  // nullptr if `id` is not in the vocabulary.
  const std::string* IdToToken(int32_t id) const;
  int32_t vocab_size() const { return static_cast<int32_t>(id_to_token_.size()); }
  const std::string& end_of_word_suffix() const { return suffix_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  // (left id, right id) -> merge: open addressing, linear probing.
  class PairMap {
   public:
    void Reserve(size_t n);
    // Keeps the first insertion of a key (the first merge of a pair wins).
    void TryInsert(uint64_t key, Merge merge);
    const Merge* Find(uint64_t key) const {
      for (size_t i = Hash(key) & mask_;; i = (i + 1) & mask_) {
        const Entry& e = entries_[i];
        if (e.key == key) return &e.merge;
        if (e.key == kEmpty) return nullptr;
      }
    }

   private:
    static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are >= 0, so no pair has this key
    struct Entry {
      uint64_t key = kEmpty;
      Merge merge{};
    };
    static size_t Hash(uint64_t k) {  // both ids reach the low bits
      k ^= k >> 29;
      k *= 0xBF58476D1CE4E5B9ull;
      return k ^ (k >> 32);
    }
    std::vector<Entry> entries_ = std::vector<Entry>(1);
    size_t mask_ = 0, count_ = 0;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return HashWord(s); }
  };
  // One symbol of a word being merged: id -1 is outside the vocabulary.
  struct Symbol {
    int32_t id;
    uint32_t begin, len;  // bytes of the word
  };
  static uint64_t PairKey(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  const Merge* FindMerge(int32_t a, int32_t b) const {
    return a < 0 || b < 0 ? nullptr : merges_.Find(PairKey(a, b));
  }
  // Merges `symbols` (spelling `word`; for raw byte words, `word` is only
  // read for unknown symbols, which they never have) and appends the ids.
  // `raw_bytes`: the symbols are the bytes of `word`, one each.
  void MergeSymbols(std::string_view word, bool raw_bytes, std::vector<Symbol>& symbols, MergeLoop loop,
                    std::vector<int32_t>* ids) const;
  void MergeHeap(std::string_view word, std::vector<Symbol>& symbols, std::vector<int32_t>* ids) const;
  // False (nothing appended) if it cannot handle the word: too long or an
  // unknown symbol.
  // `raw`: the word's bytes when each symbol is one byte (the first pairs
  // are then read from byte_pair_merges_), else nullptr.
  bool MergeLinear(const std::vector<Symbol>& symbols, const uint8_t* raw, std::vector<int32_t>* ids) const;
  void AppendUnknown(std::string_view symbol, std::vector<int32_t>* ids) const;
  WordCache& ThreadCache(bool raw_bytes) const;

  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> vocab_;
  std::vector<std::string> id_to_token_;  // [vocab_size]; "" for gaps
  PairMap merges_;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string prefix_, suffix_;  // continuing_subword_prefix, end_of_word_suffix ("" if none)
  // Id of the byte-level character of each byte; byte_ids_ok_ if all 256 exist.
  std::array<int32_t, 256> byte_ids_{};
  bool byte_ids_ok_ = false;
  // Merge of the byte-level characters of (b1, b2) at [b1 << 8 | b2] (rank
  // INT_MAX if none): the first pairs of a raw-byte word, without hashing.
  std::vector<Merge> byte_pair_merges_;
  uint64_t uid_ = 0;  // unique per model in the process: keys the per-thread caches

  static constexpr size_t kMaxCachedWordBytes = 256;
  static constexpr int kThreadCaches = 2;
};

}  // namespace seek
