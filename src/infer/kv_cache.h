// infer/kv_cache.h — a paged key/value cache with prefix reuse.
//
// Memory is one pool of fixed-size blocks, sized from a budget in MB. A block
// holds the keys and values of `block_size` consecutive tokens of one
// sequence for every layer:
//   pool: [num_blocks, n_layer, 2 (k, v), block_size, n_kv_head, head_dim] f32
// Each sequence has a block table (logical block i -> physical block). Blocks
// carry reference counts: a FULL block whose token prefix (every token from
// the sequence start through the end of the block) equals another
// sequence's is shared instead of recomputed. Identity is exact: a block is
// keyed by (parent block, its own tokens), so a chain of matches is a match
// of the whole prefix, with no hash collisions possible.
// A freed block that holds a registered full prefix stays cached (evictable,
// least recently used first) so a later request with the same system prompt
// still finds it; allocation takes truly free blocks first, then evicts.
// Shared blocks are always full and never written again (a sequence writes
// only past its reused prefix), so no copy-on-write is needed.
// Thread-safety: none; the engine's step thread owns the cache.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/aligned.h"
#include "core/status.h"
#include "model/config.h"

namespace seek {

class KvCache {
 public:
  // budget_mb: pool size; fails when not even one block fits.
  static StatusOr<std::unique_ptr<KvCache>> Create(const ModelConfig& config, int64_t block_size,
                                                   double budget_mb);

  int64_t block_size() const { return block_size_; }
  int64_t num_blocks() const { return num_blocks_; }
  // Blocks a new allocation can take now: free plus evictable cached ones.
  int64_t num_available_blocks() const {
    return static_cast<int64_t>(free_.size() + evictable_.size());
  }
  int64_t num_used_blocks() const { return num_blocks_ - num_available_blocks(); }
  int64_t BlocksFor(int64_t n_tokens) const { return (n_tokens + block_size_ - 1) / block_size_; }
  // OK when a sequence of n_tokens fits in the whole pool; otherwise an
  // InvalidArgument error saying how much is needed (such a request can never run).
  Status CheckCanEverFit(int64_t n_tokens) const;

  // Starts a sequence for `prompt`, reusing cached full blocks of its prefix
  // (at most prompt.size() - 1 tokens, so the last token is always computed
  // and yields logits). Returns the sequence id; *n_cached receives the number
  // of prompt tokens whose K/V are already present.
  int64_t AddSequence(const std::vector<int32_t>& prompt, int64_t* n_cached);
  // Makes room for the sequence to hold n_tokens in total. False (and no
  // change) when the pool has too few available blocks right now.
  bool Reserve(int64_t seq, int64_t n_tokens);
  // Records that tokens [n_past, n_past + tokens.size()) now have K/V
  // written; full blocks become reusable prefixes.
  void Commit(int64_t seq, const int32_t* tokens, int64_t n);
  // Drops the sequence; its blocks lose one reference.
  void FreeSequence(int64_t seq);

  int64_t num_tokens(int64_t seq) const { return seqs_.at(seq).tokens.size(); }
  // [n_blocks] physical block ids of the sequence.
  const std::vector<int32_t>& block_table(int64_t seq) const { return seqs_.at(seq).blocks; }
  int32_t ref_count(int32_t block) const { return blocks_[block].refs; }
  int64_t num_sequences() const { return static_cast<int64_t>(seqs_.size()); }

  // Layer `layer`'s keys of physical block b start at k_pool(layer) +
  // b * block_stride(), [block_size, n_kv_head, head_dim]; values likewise.
  float* k_pool(int64_t layer) { return pool() + layer * 2 * block_floats_; }
  float* v_pool(int64_t layer) { return k_pool(layer) + block_floats_; }
  int64_t block_stride() const { return n_layer_ * 2 * block_floats_; }
  // The K (or V) row of a token slot: [n_kv_head, head_dim].
  float* KRow(int64_t seq, int64_t layer, int64_t pos);
  float* VRow(int64_t seq, int64_t layer, int64_t pos);

 private:
  struct Block {
    int32_t refs = 0;
    bool registered = false;  // in prefix_ (full, immutable)
    int32_t parent = -1;      // previous block of the prefix (-1: first)
    uint32_t parent_gen = 0;  // parent's gen when this block was registered
    uint32_t gen = 0;         // bumped each time the block is reused for new content
    std::vector<int32_t> tokens;  // the block's own tokens, when registered
    uint64_t key = 0;             // its key in prefix_, when registered
    std::list<int32_t>::iterator lru;  // position in evictable_ when refs == 0 && registered
  };
  struct Sequence {
    std::vector<int32_t> blocks;
    std::vector<int32_t> tokens;  // tokens with K/V written
  };

  KvCache() = default;
  float* pool() { return static_cast<float*>(mem_.data()); }
  uint64_t Key(int32_t parent, const int32_t* tokens) const;
  int32_t FindPrefixBlock(int32_t parent, const int32_t* tokens) const;  // -1: none
  int32_t TakeBlock();  // CHECKs that one is available
  void Unref(int32_t block);
  void EraseFromPrefix(int32_t block);

  int64_t n_layer_ = 0, block_size_ = 0, num_blocks_ = 0, row_floats_ = 0, block_floats_ = 0;
  AlignedBuffer mem_;
  std::vector<Block> blocks_;
  std::vector<int32_t> free_;      // never-registered free blocks
  std::list<int32_t> evictable_;   // registered, unreferenced; front = least recently used
  std::unordered_multimap<uint64_t, int32_t> prefix_;  // Key(parent, tokens) -> block
  std::map<int64_t, Sequence> seqs_;
  int64_t next_seq_ = 0;
};

}  // namespace seek
