#include "infer/kv_cache.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/random.h"

namespace seek {

StatusOr<std::unique_ptr<KvCache>> KvCache::Create(const ModelConfig& c, int64_t block_size,
                                                   double budget_mb) {
  if (block_size <= 0 || block_size > 4096)
    return InvalidArgumentError("KV cache block size {} must be in [1, 4096]", block_size);
  if (!(budget_mb > 0) || !std::isfinite(budget_mb))
    return InvalidArgumentError("KV cache budget {} MB must be positive", budget_mb);
  std::unique_ptr<KvCache> kv(new KvCache());
  kv->n_layer_ = c.n_layer;
  kv->block_size_ = block_size;
  kv->row_floats_ = c.n_kv_head * c.head_dim();
  kv->block_floats_ = block_size * kv->row_floats_;
  const double block_bytes = static_cast<double>(kv->block_stride()) * sizeof(float);
  const double budget_bytes = budget_mb * 1024.0 * 1024.0;
  kv->num_blocks_ = static_cast<int64_t>(budget_bytes / block_bytes);
  if (kv->num_blocks_ < 1)
    return InvalidArgumentError("KV cache budget {} MB holds no block of {} tokens ({:.3f} MB "
                                "each); raise the budget",
                                budget_mb, block_size, block_bytes / (1024.0 * 1024.0));
  kv->num_blocks_ = std::min<int64_t>(kv->num_blocks_, int64_t{1} << 30);
  kv->mem_ = AlignedBuffer(static_cast<size_t>(kv->num_blocks_ * kv->block_stride()) *
                           sizeof(float));
  kv->blocks_.resize(kv->num_blocks_);
  kv->free_.reserve(kv->num_blocks_);
  for (int64_t b = kv->num_blocks_ - 1; b >= 0; --b) kv->free_.push_back(static_cast<int32_t>(b));
  return kv;
}

Status KvCache::CheckCanEverFit(int64_t n_tokens) const {
  const int64_t need = BlocksFor(n_tokens);
  if (need > num_blocks_)
    return InvalidArgumentError("a sequence of {} tokens needs {} KV cache blocks of {} tokens but "
                                "the cache holds only {} ({} tokens); raise the KV cache budget "
                                "or shorten the request",
                                n_tokens, need, block_size_, num_blocks_,
                                num_blocks_ * block_size_);
  return Status::Ok();
}

// A stale child (its parent evicted and reused) never matches: the key and
// the check both include the parent's generation.
uint64_t KvCache::Key(int32_t parent, const int32_t* tokens) const {
  const uint64_t gen = parent < 0 ? 0 : blocks_[parent].gen;
  uint64_t h = SplitMix64(static_cast<uint64_t>(static_cast<int64_t>(parent)) ^ (gen << 32));
  for (int64_t i = 0; i < block_size_; ++i) h = SplitMix64(h ^ static_cast<uint32_t>(tokens[i]));
  return h;
}

int32_t KvCache::FindPrefixBlock(int32_t parent, const int32_t* tokens) const {
  const uint32_t gen = parent < 0 ? 0 : blocks_[parent].gen;
  auto [lo, hi] = prefix_.equal_range(Key(parent, tokens));
  for (auto it = lo; it != hi; ++it) {
    const Block& b = blocks_[it->second];
    if (b.parent == parent && b.parent_gen == gen && std::equal(b.tokens.begin(), b.tokens.end(), tokens))
      return it->second;
  }
  return -1;
}

int32_t KvCache::TakeBlock() {
  int32_t b;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else {
    CHECK(!evictable_.empty());
    b = evictable_.front();
    evictable_.pop_front();
    Block& blk = blocks_[b];
    EraseFromPrefix(b);
    const uint32_t next_gen = blk.gen + 1;
    blk = Block{};
    blk.gen = next_gen;
  }
  blocks_[b].refs = 1;
  return b;
}

void KvCache::EraseFromPrefix(int32_t b) {
  auto [lo, hi] = prefix_.equal_range(blocks_[b].key);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == b) {
      prefix_.erase(it);
      return;
    }
  }
}

void KvCache::Unref(int32_t b) {
  Block& blk = blocks_[b];
  CHECK(blk.refs > 0);
  if (--blk.refs > 0) return;
  if (blk.registered) {
    blk.lru = evictable_.insert(evictable_.end(), b);
  } else {
    free_.push_back(b);
  }
}

int64_t KvCache::AddSequence(const std::vector<int32_t>& prompt, int64_t* n_cached) {
  const int64_t id = next_seq_++;
  Sequence& s = seqs_[id];
  const int64_t reusable = prompt.empty() ? 0 : (static_cast<int64_t>(prompt.size()) - 1) /
                                                    block_size_;
  int32_t parent = -1;
  for (int64_t i = 0; i < reusable; ++i) {
    const int32_t b = FindPrefixBlock(parent, prompt.data() + i * block_size_);
    if (b < 0) break;
    Block& blk = blocks_[b];
    if (blk.refs++ == 0) evictable_.erase(blk.lru);
    s.blocks.push_back(b);
    parent = b;
  }
  s.tokens.assign(prompt.begin(), prompt.begin() + s.blocks.size() * block_size_);
  *n_cached = static_cast<int64_t>(s.tokens.size());
  return id;
}

bool KvCache::Reserve(int64_t seq, int64_t n_tokens) {
  Sequence& s = seqs_.at(seq);
  const int64_t need = BlocksFor(n_tokens) - static_cast<int64_t>(s.blocks.size());
  if (need <= 0) return true;
  if (need > num_available_blocks()) return false;
  for (int64_t i = 0; i < need; ++i) s.blocks.push_back(TakeBlock());
  return true;
}

void KvCache::Commit(int64_t seq, const int32_t* tokens, int64_t n) {
  Sequence& s = seqs_.at(seq);
  const int64_t before = static_cast<int64_t>(s.tokens.size());
  s.tokens.insert(s.tokens.end(), tokens, tokens + n);
  CHECK(BlocksFor(static_cast<int64_t>(s.tokens.size())) <= static_cast<int64_t>(s.blocks.size()));
  // Register blocks that just became full, unless an identical prefix block exists.
  for (int64_t i = before / block_size_; (i + 1) * block_size_ <= (int64_t)s.tokens.size(); ++i) {
    const int32_t b = s.blocks[i];
    Block& blk = blocks_[b];
    if (blk.registered) continue;
    const int32_t parent = i == 0 ? -1 : s.blocks[i - 1];
    if (i > 0 && !blocks_[parent].registered) break;  // a chain needs its parent registered
    const int32_t* t = s.tokens.data() + i * block_size_;
    if (FindPrefixBlock(parent, t) >= 0) continue;  // a twin already serves this prefix
    blk.registered = true;
    blk.parent = parent;
    blk.parent_gen = parent < 0 ? 0 : blocks_[parent].gen;
    blk.tokens.assign(t, t + block_size_);
    blk.key = Key(parent, t);
    prefix_.emplace(blk.key, b);
  }
}

void KvCache::FreeSequence(int64_t seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) return;
  // Unreference from the last block so that a chain's tail is evicted first.
  for (auto b = it->second.blocks.rbegin(); b != it->second.blocks.rend(); ++b) Unref(*b);
  seqs_.erase(it);
}

float* KvCache::KRow(int64_t seq, int64_t layer, int64_t pos) {
  const Sequence& s = seqs_.at(seq);
  const int32_t b = s.blocks.at(pos / block_size_);
  return k_pool(layer) + b * block_stride() + (pos % block_size_) * row_floats_;
}

float* KvCache::VRow(int64_t seq, int64_t layer, int64_t pos) {
  return KRow(seq, layer, pos) + block_floats_;
}

}  // namespace seek
