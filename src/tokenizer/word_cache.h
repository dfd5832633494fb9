// tokenizer/word_cache.h — a bounded word -> ids map for the BPE model: open
// addressing over a 64-bit hash, keys and ids packed in two arenas, so a hit
// costs one hash of the word, one probe run and a memcmp, and no allocation.
//
// When it reaches kMaxEntries entries (or kMaxArenaBytes of keys, or of
// ids) it is emptied and starts over, so memory stays bounded whatever the
// input: at most 12 MiB of slots + 8 MiB of keys + 8 MiB of ids, and only as
// much as the distinct words seen need (it starts at 24 KiB and doubles).
//
// Thread-safety: none; BpeModel keeps one per thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace seek {

// A fast, well-mixed 64-bit hash of a short byte string (never 0).
inline uint64_t HashWord(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    h = (h ^ v) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  if (i < n) {
    uint64_t v = 0;
    std::memcpy(&v, p + i, n - i);
    h = (h ^ v) * 0xC4CEB9FE1A85EC53ull;
  }
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return h | 1;
}

class WordCache {
 public:
  static constexpr size_t kMaxEntries = size_t{1} << 18;
  static constexpr size_t kMaxArenaBytes = size_t{8} << 20;

  // Appends the cached ids of `word` (hash = HashWord(word)) to `*ids`;
  // false if it is not cached.
  bool Find(std::string_view word, uint64_t hash, std::vector<int32_t>* ids) const {
    if (slots_.empty()) return false;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.hash == 0) return false;
      if (s.hash == hash && s.key_len == word.size() && std::memcmp(keys_.data() + s.key_off, word.data(), word.size()) == 0) {
        ids->insert(ids->end(), ids_.begin() + s.ids_off, ids_.begin() + s.ids_off + s.ids_len);
        return true;
      }
    }
  }

  // `word` must not be cached yet; words over 64 KiB or 64 Ki ids are skipped.
  void Insert(std::string_view word, uint64_t hash, const int32_t* ids, size_t n) {
    if (word.size() > 0xFFFF || n > 0xFFFF) return;
    if (count_ + 1 > slots_.size() / 2) {
      if (slots_.size() >= 2 * kMaxEntries) {
        Clear();
      } else {
        Grow();
      }
    }
    if (keys_.size() + word.size() > kMaxArenaBytes || ids_.size() + n > kMaxArenaBytes / 4) Clear();
    const size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i].hash != 0) i = (i + 1) & mask;
    slots_[i] = Slot{hash, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(ids_.size()),
                     static_cast<uint16_t>(word.size()), static_cast<uint16_t>(n)};
    keys_.append(word);
    ids_.insert(ids_.end(), ids, ids + n);
    ++count_;
  }

  void Clear() {
    slots_.assign(slots_.empty() ? kInitialSlots : slots_.size(), Slot{});
    keys_.clear();
    ids_.clear();
    count_ = 0;
  }
  size_t size() const { return count_; }

 private:
  static constexpr size_t kInitialSlots = 1024;
  struct Slot {
    uint64_t hash = 0;  // 0: empty
    uint32_t key_off = 0, ids_off = 0;
    uint16_t key_len = 0, ids_len = 0;
  };
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? kInitialSlots : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.hash == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].hash != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<int32_t> ids_;
  size_t count_ = 0;
};

}  // namespace seek
