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
  if (++generation_ == 0 || entries_.size() < capacity) {  // wrapped, or must grow: clear for real
    entries_.assign(std::max(capacity, entries_.size()), Entry{0, 0, 0, 0});
    generation_ = 1;
  }
  // The set uses the first `capacity` entries of a possibly larger table.
  mask_ = capacity - 1;
  shift_ = 64 - bits;
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
