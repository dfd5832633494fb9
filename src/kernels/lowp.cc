#include "kernels/lowp.h"

// GCC 12's AVX-512 conversion intrinsics start from _mm512_undefined_*(),
// which -Wmaybe-uninitialized reports as a false positive when inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

namespace seek {

uint16_t ToBf16Ref(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  if (std::isnan(x)) return static_cast<uint16_t>((u >> 16) | 0x40);  // keep the sign, make it quiet
  // fp32 subnormals (|x| < 1.2e-38) become a signed zero, as VCVTNEPS2BF16 does.
  if ((u & 0x7F800000) == 0) return static_cast<uint16_t>((u >> 16) & 0x8000);
  const uint32_t rounding = 0x7FFF + ((u >> 16) & 1);                 // to nearest, ties to even
  return static_cast<uint16_t>((u + rounding) >> 16);
}

namespace {

// 16 random bits for element i: a 32-bit integer hash (Wellons' lowbias32)
// of the index mixed with the seed; plain integer arithmetic that GCC
// vectorises.
inline uint32_t RandomBits16(uint32_t seed_lo, uint32_t seed_hi, uint64_t i) {
  uint32_t h = static_cast<uint32_t>(i) ^ seed_lo;
  h ^= static_cast<uint32_t>(i >> 32) * 0x9E3779B9u + seed_hi;
  h ^= h >> 16;
  h *= 0x7FEB352Du;
  h ^= h >> 15;
  h *= 0x846CA68Bu;
  h ^= h >> 16;
  return h & 0xFFFFu;
}

inline uint16_t StochasticBf16(float x, uint32_t r) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  if ((u & 0x7F800000) == 0x7F800000)  // inf stays inf; NaN stays NaN (quiet)
    return static_cast<uint16_t>((u >> 16) | ((u & 0x7FFFFF) ? 0x40 : 0));
  if ((u & 0x7F800000) == 0) return static_cast<uint16_t>((u >> 16) & 0x8000);
  return static_cast<uint16_t>((u + r) >> 16);  // adds below the last place, then truncates
}

}  // namespace

uint16_t ToBf16StochasticRef(float x, uint64_t seed, int64_t i) {
  return StochasticBf16(x, RandomBits16(static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                                        static_cast<uint64_t>(i)));
}

void ToBf16Stochastic(const float* x, uint16_t* y, int64_t n, uint64_t seed) {
  constexpr int64_t kBlock = 1 << 14;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const uint32_t lo = static_cast<uint32_t>(seed), hi = static_cast<uint32_t>(seed >> 32);
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t end = std::min(n, (b + 1) * kBlock);
    for (int64_t i = b * kBlock; i < end; ++i) y[i] = StochasticBf16(x[i], RandomBits16(lo, hi, static_cast<uint64_t>(i)));
  }
}

float FromBf16Ref(uint16_t x) { return std::bit_cast<float>(static_cast<uint32_t>(x) << 16); }

uint16_t ToF16Ref(float x) {
  uint32_t u = std::bit_cast<uint32_t>(x);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  u &= 0x7FFFFFFF;
  if (u > 0x7F800000) return sign | 0x7E00 | static_cast<uint16_t>((u >> 13) & 0x3FF);  // quiet NaN
  if (u >= 0x477FF000) return sign | 0x7C00;  // >= 65520 rounds to inf (65504 is the largest half)
  if (u < 0x38800000) {                       // below 2^-14: a subnormal half (or 0), in units of 2^-24
    const float units = std::bit_cast<float>(u) * 16777216.f;  // exact: a power of two
    return sign | static_cast<uint16_t>(std::nearbyint(units));  // ties to even; 1024 is the smallest normal
  }
  uint32_t v = u - 0x38000000;  // exponent bias 127 -> 15
  v += 0xFFF + ((v >> 13) & 1);  // round the 13 dropped bits to nearest, ties to even
  return sign | static_cast<uint16_t>(v >> 13);
}

float FromF16Ref(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t e = (h >> 10) & 0x1F, m = h & 0x3FF;
  if (e == 0) return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(static_cast<float>(m) * 5.9604644775390625e-8f));
  if (e == 31) return std::bit_cast<float>(sign | 0x7F800000 | (m << 13));
  return std::bit_cast<float>(sign | ((e + 112) << 23) | (m << 13));
}

// AVX-512 for whole vectors, the scalar twin for the tail (and where the CPU
// lacks the instruction).
void ToLowPrecisionSpan(Precision p, const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  if (p == Precision::kBf16) {
#if defined(__AVX512BF16__)
    for (; i + 16 <= n; i += 16)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(x + i)));
#endif
    for (; i < n; ++i) y[i] = ToBf16Ref(x[i]);
  } else {
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i),
                          _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#endif
    for (; i < n; ++i) y[i] = ToF16Ref(x[i]);
  }
}

void ToLowPrecision(Precision p, const float* x, uint16_t* y, int64_t n) {
  constexpr int64_t kBlock = 1 << 14;  // elements per OpenMP task: large enough to amortise
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t lo = b * kBlock;
    ToLowPrecisionSpan(p, x + lo, y + lo, std::min(n, lo + kBlock) - lo);
  }
}

void ToLowPrecisionWithColumnSums(Precision p, const float* x, uint16_t* y, float* colsum, int64_t rows,
                                  int64_t cols) {
  RoundRowsWithColumnSums(p, [&](int64_t r, float*) { return x + r * cols; }, y, colsum, rows, cols);
}

void FromLowPrecision(Precision p, const uint16_t* x, float* y, int64_t n) {
  constexpr int64_t kBlock = 1 << 14;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
    int64_t i = lo;
#if defined(__AVX512F__)
    for (; i + 16 <= hi; i += 16) {
      const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
      const __m512 f = p == Precision::kBf16
                           ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16))
                           : _mm512_cvtph_ps(h);
      _mm512_storeu_ps(y + i, f);
    }
#endif
    for (; i < hi; ++i) y[i] = p == Precision::kBf16 ? FromBf16Ref(x[i]) : FromF16Ref(x[i]);
  }
}

}  // namespace seek
