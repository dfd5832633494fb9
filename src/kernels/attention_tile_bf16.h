// kernels/attention_tile_bf16.h — the bf16 tile arithmetic of the attention
// kernels.
//
// Internal to attention.cc (and its test). A "word" holds two bf16
// values, the one of the lower k index in its low half, so a product's inner
// dimension runs over pairs:
//   VDPBF16PS (AVX512-BF16) adds a[2l] b[2l] + a[2l+1] b[2l+1] to lane l of an
//   f32 accumulator: one instruction does the work of two f32 FMAs, and this
//   CPU issues it about as often (490 against 265 GFLOP/s a core). Without
//   the instruction the same products run as two f32 FMAs on the halves.
// Packing: rounding is ToBf16Ref's (nearest even, fp32 subnormals to signed
// zero, NaN stays NaN): VCVTNE2PS2BF16 where the CPU has it, else integer
// vector operations that give the same bits. Row layouts ("adjacent": a
// row's consecutive values paired) serve as A operands and as B operands of
// transposed products; "lane pairs" (two rows interleaved column by column)
// serve as B operands. Nothing here allocates or threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/attention_tile.h"
#include "kernels/lowp.h"

#if defined(__AVX512BF16__)
#include <immintrin.h>
#endif

namespace seek::attention_tile {

typedef uint32_t W16 __attribute__((vector_size(64)));  // 16 words: 32 bf16

inline W16 LoadW(const uint32_t* p) { return LoadVec<W16>(p); }
inline void StoreW(uint32_t* p, W16 v) { StoreVec(p, v); }

// bf16 of each lane in the lane's high half, low half zero.
inline W16 RoundHigh(V16 x) {
  const W16 u = (W16)x;
  W16 r = u + (0x7FFFu + ((u >> 16) & 1u));
  r = (u & 0x7F800000u) == 0 ? (u & 0x80000000u) : r;
  r = x != x ? (u | 0x00400000u) : r;
  return r & 0xFFFF0000u;
}
// Word l = (lo[l], hi[l]): two rows interleaved by column.
inline W16 PairLanes(V16 lo, V16 hi) {
#if defined(__AVX512BF16__)
  // VCVTNE2PS2BF16 rounds as ToBf16Ref does; it leaves lo's 16 values
  // first, then hi's, which one permute interleaves.
  const __m512i packed = (__m512i)_mm512_cvtne2ps_pbh((__m512)hi, (__m512)lo);
  const __m512i interleave =
      _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                       21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return (W16)_mm512_permutexvar_epi16(interleave, packed);
#else
  return (RoundHigh(lo) >> 16) | RoundHigh(hi);
#endif
}
// Word l = (x[2l], x[2l + 1]) of the 32 values x = a then b: one row.
inline W16 PairAdjacent(V16 a, V16 b) {
#if defined(__AVX512BF16__)
  return (W16)_mm512_cvtne2ps_pbh((__m512)b, (__m512)a);
#else
  const W16 ra = RoundHigh(a), rb = RoundHigh(b);
  const W16 even = __builtin_shufflevector(ra, rb, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24,
                                           26, 28, 30);
  const W16 odd = __builtin_shufflevector(ra, rb, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25,
                                          27, 29, 31);
  return (even >> 16) | odd;
#endif
}
inline uint32_t PairOf(float lo, float hi) {
  return ToBf16Ref(lo) | static_cast<uint32_t>(ToBf16Ref(hi)) << 16;
}

// acc[l] += a.lo[l] b.lo[l] + a.hi[l] b.hi[l].
inline V16 DotPairs(V16 acc, W16 a, W16 b) {
#if defined(__AVX512BF16__)
  return (V16)_mm512_dpbf16_ps((__m512)acc, (__m512bh)a, (__m512bh)b);
#else
  const V16 a_lo = (V16)(a << 16), a_hi = (V16)(a & 0xFFFF0000u);
  const V16 b_lo = (V16)(b << 16), b_hi = (V16)(b & 0xFFFF0000u);
  return acc + a_lo * b_lo + a_hi * b_hi;
#endif
}

// The bf16 products of TileGemm: A(r, p) is a word (k indices 2p, 2p + 1),
// broadcast; B's row p holds the lane pairs of rows 2p and 2p + 1.
struct Bf16Ops {
  using Elem = uint32_t;
  static constexpr int64_t kPack = 2;
  static W16 Bcast(uint32_t a) { return W16{} + a; }
  static W16 LoadB(const uint32_t* p) { return LoadW(p); }
  static V16 Madd(V16 acc, W16 a, W16 b) { return DotPairs(acc, a, b); }
};

// dst[p] = (scale x[2p], scale x[2p + 1]) for p < n / 2; n even.
inline void PackRow(const float* x, int64_t n, float scale, uint32_t* dst) {
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes)
    StoreW(dst + i / 2, PairAdjacent(Load(x + i) * scale, Load(x + i + kLanes) * scale));
  for (; i < n; i += 2) dst[i / 2] = PairOf(scale * x[i], scale * x[i + 1]);
}

// dst[j * ldd + p] = (src[j * ld + 2p], src[j * ld + 2p + 1]) for j < rows
// and 2p < n rounded up to 32 (src rows must hold that many floats).
inline void PackRows(const float* src, int64_t rows, int64_t n, int64_t ld, uint32_t* dst,
                     int64_t ldd) {
  for (int64_t j = 0; j < rows; ++j)
    for (int64_t i = 0; i < n; i += 2 * kLanes)
      StoreW(dst + j * ldd + i / 2,
             PairAdjacent(Load(src + j * ld + i), Load(src + j * ld + i + kLanes)));
}

// dst[c] = (lo[c], hi[c]) for c < n (hi null: zeros; lo null too: all
// zeros), then zeros up to n_pad.
inline void PackRowPair(const float* lo, const float* hi, int64_t n, int64_t n_pad,
                        uint32_t* dst) {
  int64_t c = 0;
  if (lo != nullptr) {
    for (; c + kLanes <= n; c += kLanes)
      StoreW(dst + c, PairLanes(Load(lo + c), hi != nullptr ? Load(hi + c) : V16{}));
    for (; c < n; ++c) dst[c] = PairOf(lo[c], hi != nullptr ? hi[c] : 0.0f);
  }
  std::fill(dst + c, dst + n_pad, 0u);
}

// dst[p * ld + i] = (src[2p * ld + i], src[(2p + 1) * ld + i]) for
// 2p < rows and i < n (a multiple of 16); a missing last row reads as 0.
inline void PairRows(const float* src, int64_t rows, int64_t n, int64_t ld, uint32_t* dst) {
  for (int64_t p = 0; 2 * p < rows; ++p) {
    const float* lo = src + 2 * p * ld;
    const bool has_hi = 2 * p + 1 < rows;
    for (int64_t i = 0; i < n; i += kLanes)
      StoreW(dst + p * ld + i, PairLanes(Load(lo + i), has_hi ? Load(lo + ld + i) : V16{}));
  }
}

// Row c of out (rows ld apart) = column c of the 16x16 block of words at in.
inline void TransposeWords16(const uint32_t* in, int64_t in_stride, uint32_t* out, int64_t ld) {
  W16 r[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = LoadW(in + i * in_stride);
  Transpose16InPlace(r);
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) StoreW(out + i * ld, r[i]);
}

// dst[p * ld + i] = (scale src_i[2p], scale src_i[2p + 1]) with
// src_i = src + i * stride, for i < n and p < d / 2 (d even); columns
// [n, ld) zero. tmp: n * d / 2 words of scratch.
inline void PackTransposedPairs(const float* src, int64_t stride, int64_t n, int64_t d,
                                float scale, uint32_t* tmp, uint32_t* dst, int64_t ld) {
  const int64_t dh = d / 2;
  for (int64_t i = 0; i < n; ++i) PackRow(src + i * stride, d, scale, tmp + i * dh);
  int64_t i0 = 0;
  if (dh % kLanes == 0)
    for (; i0 + kLanes <= n; i0 += kLanes)
      for (int64_t c0 = 0; c0 < dh; c0 += kLanes)
        TransposeWords16(tmp + i0 * dh + c0, dh, dst + c0 * ld + i0, ld);
  for (int64_t p = 0; p < dh; ++p) {
    uint32_t* row = dst + p * ld;
    for (int64_t i = i0; i < n; ++i) row[i] = tmp[i * dh + p];
    std::fill(row + n, row + ld, 0u);
  }
}

}  // namespace seek::attention_tile
