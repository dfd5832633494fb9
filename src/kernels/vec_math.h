// kernels/vec_math.h — exp and sigmoid written so that GCC vectorises them.
//
// Without -ffast-math, GCC never turns a call to std::exp inside a loop into
// SIMD code (glibc's vector math variants are only declared under
// __FAST_MATH__), so a loop over expf runs one element at a time. ExpF below is
// the Cephes single-precision exp: range reduction by ln 2, a degree-6
// polynomial, and the exponent put in by integer arithmetic. It is plain
// arithmetic on floats and ints, so after inlining a loop that calls it
// vectorises to AVX-512. Accuracy: within 1.01 ulp of the exact exp for every
// float in [-87, 88] (checked exhaustively with FMA); inputs outside are clamped (exp(-87)
// ~ 1.6e-38, exp(88) ~ 1.7e38), so it never returns inf or a denormal. Max() is a max-reduction
// written with GCC vector extensions, because GCC only vectorises a float max reduction under
// -ffinite-math-only. Internal to the kernels layer.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>

namespace seek::vec {

// exp(r) for |r| <= ln(2) / 2: Cephes' degree-6 minimax polynomial. V is
// float or a GCC vector of floats (attention_tile.h uses it on 16 lanes).
template <typename V>
inline V ExpReducedPolynomial(V r) {
  V p = V{} + 1.9875691500e-4f;  // a constant: c for floats, a broadcast for vectors
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * (r * r) + r + 1.0f;
}

inline float ExpF(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  // n = round(x / ln 2): adding 1.5 * 2^23 rounds to an integer, which then
  // sits in the low mantissa bits of t.
  constexpr float kShifter = 12582912.0f;  // 1.5 * 2^23
  float t = x * 1.44269504088896341f + kShifter;
  float n = t - kShifter;
  int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kShifter);
  // r = x - n * ln 2 with ln 2 split in two so that n * hi is exact.
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float y = ExpReducedPolynomial(r);
  float scale = std::bit_cast<float>((ni + 127) << 23);  // 2^n, n in [-126, 127]
  return y * scale;
}

// 1 / (1 + exp(-x)); saturates cleanly to 0 and 1 for large |x|.
inline float SigmoidF(float x) {
  return 1.0f / (1.0f + ExpF(-x));
}

// max of x[0, n); -inf for n == 0. NaNs are not propagated reliably.
inline float Max(const float* x, int64_t n) {
  typedef float V16 __attribute__((vector_size(64)));  // lowered to what the target has
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  V16 m = V16{} + kNegInf;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    V16 v;
    std::memcpy(&v, x + i, sizeof(v));
    m = v > m ? v : m;
  }
  float r = kNegInf;
  for (int j = 0; j < 16; ++j) r = std::max(r, m[j]);
  for (; i < n; ++i) r = std::max(r, x[i]);
  return r;
}

}  // namespace seek::vec
