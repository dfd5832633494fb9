// data/union_find.h — disjoint sets over 0..n-1 (union by size, path halving).
//
// The sets after a sequence of Unions are the connected components of the
// united pairs, whatever their order; which element is a set's root is not
// (callers pick a set's representative by their own rule).
// Thread-safety: none; one owner.
#pragma once

#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

namespace seek {

class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(n), size_(n, 1) {
    std::iota(parent_.begin(), parent_.end(), uint32_t{0});
  }

  size_t size() const { return parent_.size(); }

  uint32_t Find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }

  // Returns false when x and y were already in one set.
  bool Union(uint32_t x, uint32_t y) {
    x = Find(x);
    y = Find(y);
    if (x == y) return false;
    if (size_[x] < size_[y]) std::swap(x, y);
    parent_[y] = x;
    size_[x] += size_[y];
    return true;
  }

 private:
  std::vector<uint32_t> parent_;
  std::vector<uint32_t> size_;
};

}  // namespace seek
