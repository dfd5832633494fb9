// kernels/attention_tile.h — tile arithmetic of the attention kernels.
//
// Internal to attention.cc (include it nowhere else): 16-lane float vectors
// (GCC vector extensions: one AVX-512 register, two AVX2 ones, plain code
// elsewhere), a vectorised exp, a register-blocked micro-GEMM for products of
// one (query tile, key tile) pair (f32 here, bf16 pairs through the same
// template in attention_tile_bf16.h), a 16x16 transpose for packing Q^T, and
// the mask of one tile pair. Nothing here allocates or threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "kernels/attention.h"
#include "kernels/vec_math.h"

// Without AVX-512, GCC notes that 64-byte vector arguments change the ABI; the
// helpers are inline and internal, so no ABI is involved. (Left on for the
// includer: GCC checks this when it emits code, after a pop would apply.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace seek::attention_tile {

inline constexpr int64_t kLanes = 16;
inline constexpr int64_t kQ = kAttentionQueryTile;
inline constexpr int64_t kK = kAttentionKeyTile;
static_assert(kQ % kLanes == 0, "query tiles are whole vectors");

typedef float V16 __attribute__((vector_size(64)));
typedef int32_t I16 __attribute__((vector_size(64)));

inline int64_t RoundUp16(int64_t n) {
  return (n + kLanes - 1) / kLanes * kLanes;
}

// One vector of any lane type from or to unaligned memory.
template <typename Vec, typename T>
inline Vec LoadVec(const T* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename Vec, typename T>
inline void StoreVec(T* p, Vec v) {
  std::memcpy(p, &v, sizeof v);
}
inline V16 Load(const float* p) { return LoadVec<V16>(p); }
inline I16 LoadI(const int32_t* p) { return LoadVec<I16>(p); }
inline void Store(float* p, V16 v) { StoreVec(p, v); }
// x - 0 is x for every x, -0 included, so this compiles to one broadcast.
inline V16 Splat(float x) {
  return x - V16{};
}
inline V16 Max(V16 a, V16 b) {
  return a > b ? a : b;
}

// exp on 16 lanes (Cephes expf: within 2 ulp); inputs below -87, -inf
// included, give exactly 0, so masked scores drop out of every sum.
inline V16 Exp(V16 x) {
  const I16 underflow = x < Splat(-87.0f);
  x = Max(x, Splat(-87.0f));
  x = x < Splat(88.0f) ? x : Splat(88.0f);
  const V16 shifter = Splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  V16 t = x * 1.44269504088896341f + shifter;
  V16 n = t - shifter;
  I16 ni = (I16)t - (I16)shifter;
  V16 r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  V16 y = vec::ExpReducedPolynomial(r);
  V16 scale = (V16)((ni + 127) << 23);
  return underflow ? V16{} : y * scale;
}

// The f32 products: A(r, p) is one float, broadcast; B rows are floats.
struct F32Ops {
  using Elem = float;
  static constexpr int64_t kPack = 1;  // k indices per A or B element
  static V16 Bcast(float a) { return Splat(a); }
  static V16 LoadB(const float* p) { return Load(p); }
  static V16 Madd(V16 acc, V16 a, V16 b) { return acc + a * b; }
};

// C[MR, 16 NV] (+)= A[MR, k] B[k, 16 NV] with Ops' elements (Ops::kPack k
// indices each), kp = k / kPack elements of A per row and of B per column,
// A(r, p) = a[r * a_rs + p * a_ks]: A is read one broadcast element at a
// time, so any A layout costs the same.
template <class Ops, int MR, int NV>
inline void MicroTile(int64_t kp, const typename Ops::Elem* __restrict a, int64_t a_rs,
                      int64_t a_ks, const typename Ops::Elem* __restrict b, int64_t ldb,
                      float* __restrict c, int64_t ldc, bool accumulate) {
  V16 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = accumulate ? Load(c + r * ldc + v * kLanes) : V16{};
  for (int64_t p = 0; p < kp; ++p) {
    decltype(Ops::LoadB(b)) bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = Ops::LoadB(b + p * ldb + v * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const auto av = Ops::Bcast(a[r * a_rs + p * a_ks]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = Ops::Madd(acc[r][v], av, bv[v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) Store(c + r * ldc + v * kLanes, acc[r][v]);
}

inline constexpr int kRowBlock = 6;  // MR of the full micro-tiles: 24 accumulators

template <class Ops>
using MicroTileFn = void (*)(int64_t, const typename Ops::Elem*, int64_t, int64_t,
                             const typename Ops::Elem*, int64_t, float*, int64_t, bool);
template <class Ops, int MR>
inline constexpr MicroTileFn<Ops> kMicroTileRow[4] = {&MicroTile<Ops, MR, 1>, &MicroTile<Ops, MR, 2>,
                                                      &MicroTile<Ops, MR, 3>, &MicroTile<Ops, MR, 4>};
template <class Ops>
inline constexpr const MicroTileFn<Ops>* kMicroTiles[kRowBlock] = {
    kMicroTileRow<Ops, 1>, kMicroTileRow<Ops, 2>, kMicroTileRow<Ops, 3>,
    kMicroTileRow<Ops, 4>, kMicroTileRow<Ops, 5>, kMicroTileRow<Ops, 6>};

// Per-row bounds [lo[r], hi[r]) of the part of a product a row needs, both
// non-decreasing in r; a block of rows [r0, r1) computes [lo[r0], hi[r1 - 1]).
struct RowRanges {
  const int32_t* lo = nullptr;
  const int32_t* hi = nullptr;
};

// C[m, n] (+)= A[m, k] B[k, n] with n a multiple of 16; A as in MicroTile, B
// and C row-major with leading dimensions ldb and ldc (B's rows are Ops'
// elements: kPack rows of the math each; a last partial one is padded with
// zeros by whoever packed it).
// k_ranges: row r's sum runs over p in that range only (the other products
// are known zeros; widened to whole elements). n_ranges: row r needs only
// those columns (widened to whole vectors); the rest of C is left as it was
// and must be masked later.
template <class Ops = F32Ops>
inline void TileGemm(int64_t m, int64_t n, int64_t k, const typename Ops::Elem* a, int64_t a_rs,
                     int64_t a_ks, const typename Ops::Elem* b, int64_t ldb, float* c, int64_t ldc,
                     bool accumulate, RowRanges k_ranges = {}, RowRanges n_ranges = {}) {
  constexpr int64_t kP = Ops::kPack;
  for (int64_t r0 = 0; r0 < m; r0 += kRowBlock) {
    const int64_t mr = std::min<int64_t>(kRowBlock, m - r0), r1 = r0 + mr - 1;
    int64_t k0 = 0, k1 = (k + kP - 1) / kP, n0 = 0, n1 = n;
    if (k_ranges.lo != nullptr) k0 = k_ranges.lo[r0] / kP, k1 = (k_ranges.hi[r1] + kP - 1) / kP;
    if (n_ranges.lo != nullptr) {
      n0 = n_ranges.lo[r0] / kLanes * kLanes;
      n1 = std::min(n, RoundUp16(n_ranges.hi[r1]));
    }
    if (k1 <= k0) {  // an empty sum: C unchanged, or zero
      if (accumulate) continue;
      k0 = k1 = 0;
    }
    for (int64_t c0 = n0; c0 < n1; c0 += 4 * kLanes) {
      const int64_t nv = std::min<int64_t>(4, (n1 - c0) / kLanes);
      kMicroTiles<Ops>[mr - 1][nv - 1](k1 - k0, a + r0 * a_rs + k0 * a_ks, a_rs, a_ks,
                                       b + k0 * ldb + c0, ldb, c + r0 * ldc + c0, ldc, accumulate);
    }
  }
}

// Lane l of one output of a butterfly step that exchanges bit h of the row
// index with bit h of the lane index, rows (i, i | h) as shuffle inputs
// (a: lanes 0..15, b: 16..31): the lower row (high = false) or the upper one.
constexpr int ButterflyLane(int h, bool high, int l) {
  if (high) return (l & h) ? 16 + l : l ^ h;
  return (l & h) ? 16 + (l ^ h) : l;
}
template <int H, bool kHigh, typename Vec, size_t... L>
[[gnu::always_inline]] inline Vec Butterfly(Vec a, Vec b, std::index_sequence<L...>) {
  return __builtin_shufflevector(a, b, ButterflyLane(H, kHigh, L)...);
}
template <int H, typename Vec>
inline void ButterflyStep(Vec* r) {
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) {
    if (i & H) continue;
    const Vec a = r[i], b = r[i | H];
    r[i] = Butterfly<H, false>(a, b, std::make_index_sequence<16>());
    r[i | H] = Butterfly<H, true>(a, b, std::make_index_sequence<16>());
  }
}

// Row c of out (rows ld apart) = scale * column c of the 16x16 block at in
// (rows in_stride apart): four butterfly steps, 64 two-input shuffles.
// r[i] lane c = old r[c] lane i.
template <typename Vec>
inline void Transpose16InPlace(Vec* r) {
  ButterflyStep<8>(r);
  ButterflyStep<4>(r);
  ButterflyStep<2>(r);
  ButterflyStep<1>(r);
}
inline void Transpose16(const float* in, int64_t in_stride, float scale, float* out, int64_t ld) {
  V16 r[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = Load(in + i * in_stride) * scale;
  Transpose16InPlace(r);
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) Store(out + i * ld, r[i]);
}

// dst[c, i] = scale * src[i * stride + c] for i < n; columns [n, ld) zero.
// dst: [d, ld].
inline void PackTransposed(const float* src, int64_t stride, int64_t n, int64_t d, float scale,
                           float* dst, int64_t ld) {
  int64_t i0 = 0, d16 = d / kLanes * kLanes;
  for (; i0 + kLanes <= n; i0 += kLanes)
    for (int64_t c0 = 0; c0 < d16; c0 += kLanes)
      Transpose16(src + i0 * stride + c0, stride, scale, dst + c0 * ld + i0, ld);
  for (int64_t c = 0; c < d; ++c) {
    float* row = dst + c * ld;
    for (int64_t i = c < d16 ? i0 : 0; i < n; ++i) row[i] = scale * src[i * stride + c];
    std::fill(row + n, row + ld, 0.0f);
  }
}

// The mask of a query tile against one key tile that is not fully visible.
// Query column i sees absolute keys [lo[i], hi[i]] (padding columns: none).
// For the key tile at k0 (kn keys), key row j is seen by query columns
// [q_lo[j], q_hi[j]) and query row i sees key rows [k_lo[i], k_hi[i]): both
// contiguous and non-decreasing, so tile products can skip masked blocks.
struct TileMask {
  alignas(64) int32_t lo[kQ];
  alignas(64) int32_t hi[kQ];
  int32_t q_lo[kK], q_hi[kK], k_lo[kQ], k_hi[kQ];

  // Queries at positions p_lo + i, i < qn; doc_start[i]: that of p_lo + i.
  void SetQueries(const int32_t* doc_start, int64_t p_lo, int64_t qn) {
    for (int64_t i = 0; i < kQ; ++i) {
      lo[i] = i < qn ? doc_start[i] : INT32_MAX;
      hi[i] = i < qn ? static_cast<int32_t>(p_lo + i) : -1;
    }
  }
  void SetKeys(int64_t k0, int64_t kn, int64_t qn) {
    auto clamp = [](int64_t x, int64_t n) { return int32_t(std::clamp<int64_t>(x, 0, n)); };
    for (int64_t j = 0, i = 0; j < kn; ++j) {
      while (i < qn && lo[i] <= k0 + j) ++i;  // lo is non-decreasing
      q_lo[j] = clamp(k0 + j - hi[0], qn);
      q_hi[j] = static_cast<int32_t>(i);
    }
    for (int64_t i = 0; i < qn; ++i) {
      k_lo[i] = clamp(lo[i] - k0, kn);
      k_hi[i] = clamp(hi[i] - k0 + 1, kn);
    }
  }
  RowRanges ByKey() const { return {q_lo, q_hi}; }
  RowRanges ByQuery() const { return {k_lo, k_hi}; }

  // st[j, i] = -inf where key k0 + j is masked for query column i; [kn, nq].
  void Apply(float* st, int64_t kn, int64_t nq, int64_t k0) const {
    const V16 neg_inf = Splat(-std::numeric_limits<float>::infinity());
    for (int64_t j = 0; j < kn; ++j) {
      const I16 key = I16{} + static_cast<int32_t>(k0 + j);
      for (int64_t i = 0; i < nq; i += kLanes) {
        I16 masked = (key < LoadI(lo + i)) | (key > LoadI(hi + i));
        Store(st + j * kQ + i, masked ? neg_inf : Load(st + j * kQ + i));
      }
    }
  }
};

}  // namespace seek::attention_tile
