// kernels/lowp.h — bf16 and fp16 storage for mixed-precision training.
//
// Mixed precision keeps fp32 master weights, moments, reductions, norms,
// softmax and loss, and stores the operands of the matrix multiplies in 16
// bits: bf16 (8-bit exponent, the range of fp32) or fp16 (5-bit exponent:
// anything above 65504 becomes inf, which is what dynamic loss scaling
// watches for). Values are uint16_t bit patterns; conversion from fp32
// rounds to nearest even, NaN stays NaN; bf16 flushes fp32 subnormals
// (below 1.2e-38) to zero, as the CPU's VCVTNEPS2BF16 does. The fast paths use AVX-512
// (VCVTNEPS2BF16, VCVTPS2PH) and all OpenMP threads; the *Ref functions are
// the plain scalar twins the tests compare them with.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "kernels/precision.h"

namespace seek {


// y[i] = round(x[i]) in bf16 (p == kBf16) or fp16 (p == kF16). p != kF32.
void ToLowPrecision(Precision p, const float* x, uint16_t* y, int64_t n);
// ToLowPrecision of a [rows, cols] matrix that also adds each column's sum
// to colsum[cols] (a bias gradient from the output gradient it converts:
// one pass over x instead of two). The sums are taken in double over fixed
// blocks of rows, added in block order: the same for any thread count.
void ToLowPrecisionWithColumnSums(Precision p, const float* x, uint16_t* y, float* colsum, int64_t rows,
                                  int64_t cols);
// The same for rows that a kernel computes: row(r, scratch) returns row r's
// cols f32 values (computed into scratch [cols], or found elsewhere), which
// are rounded into y and summed into colsum (may be null) while in cache,
// in exactly ToLowPrecisionWithColumnSums's order.
template <class RowFn>
void RoundRowsWithColumnSums(Precision p, RowFn&& row, uint16_t* y, float* colsum, int64_t rows, int64_t cols);

// ToLowPrecision of x[0, n) on the calling thread only: for kernels that
// round their own output piece by piece while it is still in cache.
void ToLowPrecisionSpan(Precision p, const float* x, uint16_t* y, int64_t n);

template <class RowFn>
void RoundRowsWithColumnSums(Precision p, RowFn&& row, uint16_t* y, float* colsum, int64_t rows, int64_t cols) {
  constexpr int64_t kRows = 64;  // rows per block: its partial sums stay in L1/L2 while it converts
  const int64_t blocks = (rows + kRows - 1) / kRows;
  thread_local std::vector<double> partial;  // [blocks, cols]; grown once, reused every step
  if (colsum) partial.assign(static_cast<size_t>(blocks * cols), 0.0);
  double* part = partial.data();
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    thread_local std::vector<float> scratch;
    if (static_cast<int64_t>(scratch.size()) < cols) scratch.resize(static_cast<size_t>(cols));
    const int64_t r1 = std::min(rows, (b + 1) * kRows);
    double* acc = colsum ? part + b * cols : nullptr;
    for (int64_t r = b * kRows; r < r1; ++r) {
      const float* x = row(r, scratch.data());
      if (acc) {
#pragma omp simd
        for (int64_t c = 0; c < cols; ++c) acc[c] += x[c];
      }
      ToLowPrecisionSpan(p, x, y + r * cols, cols);
    }
  }
  if (!colsum) return;
#pragma omp parallel for schedule(static) if (cols >= 4096)
  for (int64_t c = 0; c < cols; ++c) {
    double s = 0;
    for (int64_t b = 0; b < blocks; ++b) s += part[b * cols + c];
    colsum[c] = static_cast<float>(colsum[c] + s);
  }
}

// y[i] = float(x[i]) (exact).
void FromLowPrecision(Precision p, const uint16_t* x, float* y, int64_t n);

// Stochastic rounding to bf16: rounds up with probability equal to the
// distance from the lower neighbour (in units of the last bf16 place), so
// the rounded value is unbiased: E[y] = x. The random bits come from a hash
// of (seed, i), so a conversion is reproducible (and resumable) from its
// seed. NaN stays NaN; fp32 subnormals become zero as in ToLowPrecision.
void ToBf16Stochastic(const float* x, uint16_t* y, int64_t n, uint64_t seed);
uint16_t ToBf16StochasticRef(float x, uint64_t seed, int64_t i);

uint16_t ToBf16Ref(float x);
float FromBf16Ref(uint16_t x);
uint16_t ToF16Ref(float x);
float FromF16Ref(uint16_t x);

}  // namespace seek
