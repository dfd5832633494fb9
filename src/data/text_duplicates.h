// data/text_duplicates.h — counting repeated pieces of a document, shared
// by the Gopher repetition and FineWeb filters.
//
// HashedSet is an open-addressing table of item indices keyed by 64-bit
// hashes, with the caller's equality, so lines and n-grams are compared as
// views into the text and never copied. Reset() reuses its memory.
// Thread-safety: a HashedSet belongs to one thread; FindDuplicates uses a
// thread-local one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace seek {

class HashedSet {
 public:
  // Empties the set and sizes it for `expected` items. O(1) unless the set
  // must grow: entries of earlier generations count as empty.
  void Reset(size_t expected);

  // Finds the item equal to `index` (eq(stored_index) is true) among those
  // with `hash`; inserts `index` when there is none. Returns the slot;
  // *inserted says which happened.
  template <typename Eq>
  size_t FindOrInsert(uint64_t hash, uint32_t index, Eq&& eq, bool* inserted) {
    const auto tag = static_cast<uint32_t>(hash >> 32);
    for (size_t slot = Home(hash);; slot = (slot + 1) & mask_) {
      Entry& e = entries_[slot];
      if (e.generation != generation_) {
        e = {tag, index, generation_, 0};
        *inserted = true;
        return slot;
      }
      if (e.tag == tag && eq(e.index)) {
        *inserted = false;
        return slot;
      }
    }
  }
  uint32_t& count(size_t slot) { return entries_[slot].count; }
  uint32_t index(size_t slot) const { return entries_[slot].index; }

 private:
  struct Entry {  // 16 bytes: four to a cache line
    uint32_t tag;  // the high half of the hash
    uint32_t index;
    uint32_t generation;  // the entry is empty unless this is generation_
    uint32_t count;
  };
  // Fibonacci hashing: the top bits of a multiply, so that polynomial
  // hashes with weak low bits still spread.
  size_t Home(uint64_t hash) const { return (hash * 0x9E3779B97F4A7C15ull) >> shift_; }

  std::vector<Entry> entries_;
  uint32_t generation_ = 0;
  size_t mask_ = 0;
  int shift_ = 64;
};

// datatrove's find_duplicates (gopher_repetition_filter.py): walking the
// items in order, every item equal to an earlier one counts as a duplicate
// element and adds its length in code points to the duplicate characters.
struct DuplicateCount {
  size_t elements = 0;
  size_t chars = 0;
};
DuplicateCount FindDuplicates(const std::vector<std::string_view>& items);

uint64_t HashBytes(std::string_view s);

}  // namespace seek
