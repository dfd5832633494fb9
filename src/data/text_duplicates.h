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
  // Empties the set and sizes it for `expected` items.
  void Reset(size_t expected);

  // Finds the item equal to `index` (eq(stored_index) is true) among those
  // with `hash`; inserts `index` when there is none. Returns the slot;
  // *inserted says which happened.
  template <typename Eq>
  size_t FindOrInsert(uint64_t hash, uint32_t index, Eq&& eq, bool* inserted) {
    hash |= 1;  // 0 marks an empty slot
    // Fibonacci hashing: the top bits of a multiply, so that polynomial
    // hashes with weak low bits still spread.
    for (size_t slot = (hash * 0x9E3779B97F4A7C15ull) >> shift_;; slot = (slot + 1) & mask_) {
      if (hashes_[slot] == 0) {
        hashes_[slot] = hash;
        index_[slot] = index;
        count_[slot] = 0;
        *inserted = true;
        return slot;
      }
      if (hashes_[slot] == hash && eq(index_[slot])) {
        *inserted = false;
        return slot;
      }
    }
  }
  uint32_t& count(size_t slot) { return count_[slot]; }
  uint32_t index(size_t slot) const { return index_[slot]; }

 private:
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> index_, count_;
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
