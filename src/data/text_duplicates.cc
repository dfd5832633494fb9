// data/text_duplicates.cc — see text_duplicates.h.
#include "data/text_duplicates.h"

#include <xxhash.h>

#include <algorithm>

#include "data/py_text.h"

namespace seek {

void HashedSet::Reset(size_t expected) {
  size_t capacity = 16;
  int bits = 4;
  while (capacity < 2 * expected + 1) capacity *= 2, ++bits;
  shift_ = 64 - bits;
  if (hashes_.size() != capacity) {
    hashes_.assign(capacity, 0);
    index_.resize(capacity);
    count_.resize(capacity);
  } else {
    std::fill(hashes_.begin(), hashes_.end(), 0);
  }
  mask_ = capacity - 1;
}

uint64_t HashBytes(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

DuplicateCount FindDuplicates(const std::vector<std::string_view>& items) {
  thread_local HashedSet seen;
  seen.Reset(items.size());
  DuplicateCount out;
  for (size_t i = 0; i < items.size(); ++i) {
    bool inserted;
    seen.FindOrInsert(HashBytes(items[i]), static_cast<uint32_t>(i),
                      [&](uint32_t j) { return items[j] == items[i]; }, &inserted);
    if (!inserted) {
      ++out.elements;
      out.chars += CountCodePoints(items[i]);
    }
  }
  return out;
}

}  // namespace seek
