// kernels/activations.cc — GELU (tanh), SiLU, SwiGLU, Add and bias gradients.
//
// The fast versions use vec::ExpF so their loops vectorise (see vec_math.h);
// the *Ref twins evaluate PyTorch's formulas literally in double with libm.
// GELU uses the identity 0.5 * (1 + tanh(u)) = sigmoid(2u): the same function
// as PyTorch's approximate='tanh', but without the cancellation in 1 + tanh(u)
// for large negative inputs.
#include "kernels/activations.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/check.h"
#include "core/threads.h"
#include "kernels/lowp.h"
#include "kernels/vec_math.h"

namespace seek {
namespace {

constexpr int64_t kMinElemsPerThread = 1 << 14;
// PyTorch's constants for approximate='tanh': sqrt(2 / pi) and 0.044715.
constexpr double kGeluBeta = 0.7978845608028654;
constexpr double kGeluKappa = 0.044715;

}  // namespace

// --------------------------------------------------------------------- GELU

namespace {

void GeluRange(float* out, const float* inp, int64_t n) {
  constexpr float kTwoBeta = static_cast<float>(2 * kGeluBeta);
  constexpr float kKappa = static_cast<float>(kGeluKappa);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float x = inp[i];
    // x * sigmoid(2u) with u = beta * (x + kappa x^3).
    float two_u = kTwoBeta * (x + kKappa * x * x * x);
    out[i] = x / (1.0f + vec::ExpF(-two_u));
  }
}

// Pieces of a 16-bit output are computed in f32 here (16 KB, in L1) and then rounded.
constexpr int64_t kLowpPiece = 4096;

}  // namespace

void GeluForward(float* out, const float* inp, int64_t n) {
  ParallelFor(n, kMinElemsPerThread, [&](int64_t b, int64_t e) { GeluRange(out + b, inp + b, e - b); });
}

void GeluForwardLowp(Precision p, uint16_t* out16, const float* inp, int64_t n) {
  CHECK(p != Precision::kF32);
  ParallelFor(n, kMinElemsPerThread, [&](int64_t b, int64_t e) {
    alignas(64) float piece[kLowpPiece];
    for (int64_t lo = b; lo < e; lo += kLowpPiece) {
      const int64_t m = std::min(kLowpPiece, e - lo);
      GeluRange(piece, inp + lo, m);
      ToLowPrecisionSpan(p, piece, out16 + lo, m);
    }
  });
}

namespace {

void GeluBackwardRange(float* dinp, const float* dout, const float* inp, int64_t n) {
  constexpr float kBeta = static_cast<float>(kGeluBeta);
  constexpr float kKappa = static_cast<float>(kGeluKappa);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float x = inp[i];
    float x2 = x * x;
    float s = vec::SigmoidF(2.0f * kBeta * (x + kKappa * x2 * x));  // 0.5 * (1 + tanh u)
    // d/dx [x s] = s + x * 0.5 * (1 - tanh^2 u) * u', with 1 - tanh^2 u = 4 s (1 - s).
    float du = kBeta * (1.0f + 3.0f * kKappa * x2);
    dinp[i] = dout[i] * (s + 2.0f * x * s * (1.0f - s) * du);
  }
}

}  // namespace

void GeluBackward(float* dinp, const float* dout, const float* inp, int64_t n) {
  ParallelFor(n, kMinElemsPerThread, [&](int64_t b, int64_t e) {
    GeluBackwardRange(dinp + b, dout + b, inp + b, e - b);
  });
}

void GeluBackwardLowp(Precision p, uint16_t* din16, float* dbias, const float* dout, const float* inp, int64_t N,
                      int64_t I) {
  CHECK(p != Precision::kF32);
  RoundRowsWithColumnSums(
      p,
      [&](int64_t r, float* row) {
        GeluBackwardRange(row, dout + r * I, inp + r * I, I);
        return row;
      },
      din16, dbias, N, I);
}

void GeluForwardRef(float* out, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double x = inp[i];
    double inner = kGeluBeta * (x + kGeluKappa * x * x * x);
    out[i] = static_cast<float>(0.5 * x * (1.0 + std::tanh(inner)));
  }
}

void GeluBackwardRef(float* dinp, const float* dout, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double x = inp[i];
    double inner = kGeluBeta * (x + kGeluKappa * x * x * x);
    double t = std::tanh(inner);
    double left = 0.5 * x, right = 1.0 + t;
    double d = 0.5 * right + left * (1.0 - t * t) * kGeluBeta * (1.0 + 3.0 * kGeluKappa * x * x);
    dinp[i] = static_cast<float>(dout[i] * d);
  }
}

// --------------------------------------------------------------------- SiLU

void SiluForward(float* out, const float* inp, int64_t n) {
  ParallelFor(n, kMinElemsPerThread, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) out[i] = inp[i] * vec::SigmoidF(inp[i]);
  });
}

void SiluBackward(float* dinp, const float* dout, const float* inp, int64_t n) {
  ParallelFor(n, kMinElemsPerThread, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      float x = inp[i];
      float s = vec::SigmoidF(x);
      dinp[i] = dout[i] * s * (1.0f + x * (1.0f - s));
    }
  });
}

void SiluForwardRef(float* out, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double x = inp[i];
    out[i] = static_cast<float>(x / (1.0 + std::exp(-x)));
  }
}

void SiluBackwardRef(float* dinp, const float* dout, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double x = inp[i];
    double s = 1.0 / (1.0 + std::exp(-x));
    dinp[i] = static_cast<float>(dout[i] * s * (1.0 + x * (1.0 - s)));
  }
}

// ------------------------------------------------------------------- SwiGLU

namespace {

void SwiGluRow(float* y, const float* g, int64_t I) {
  const float* u = g + I;
#pragma omp simd
  for (int64_t i = 0; i < I; ++i) y[i] = g[i] * vec::SigmoidF(g[i]) * u[i];
}

int64_t MinSwiGluRows(int64_t I) { return std::max<int64_t>(1, kMinElemsPerThread / std::max<int64_t>(I, 1)); }

}  // namespace

void SwiGluForward(float* out, const float* gate_up, int64_t N, int64_t I) {
  ParallelFor(N, MinSwiGluRows(I), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) SwiGluRow(out + r * I, gate_up + r * 2 * I, I);
  });
}

void SwiGluForwardLowp(Precision p, uint16_t* out16, const float* gate_up, int64_t N, int64_t I) {
  CHECK(p != Precision::kF32);
  ParallelFor(N, MinSwiGluRows(I), [&](int64_t r0, int64_t r1) {
    thread_local std::vector<float> row;
    if (static_cast<int64_t>(row.size()) < I) row.resize(static_cast<size_t>(I));
    for (int64_t r = r0; r < r1; ++r) {
      SwiGluRow(row.data(), gate_up + r * 2 * I, I);
      ToLowPrecisionSpan(p, row.data(), out16 + r * I, I);
    }
  });
}

namespace {

// dg_du [2I]: the gate's gradient, then the up projection's.
void SwiGluBackwardRow(float* dg_du, const float* dy, const float* g, int64_t I) {
  const float* u = g + I;
  float* du = dg_du + I;
#pragma omp simd
  for (int64_t i = 0; i < I; ++i) {
    float s = vec::SigmoidF(g[i]);
    float silu = g[i] * s;
    dg_du[i] = dy[i] * u[i] * s * (1.0f + g[i] * (1.0f - s));
    du[i] = dy[i] * silu;
  }
}

}  // namespace

void SwiGluBackward(float* dgate_up, const float* dout, const float* gate_up, int64_t N, int64_t I) {
  ParallelFor(N, MinSwiGluRows(I), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) SwiGluBackwardRow(dgate_up + r * 2 * I, dout + r * I, gate_up + r * 2 * I, I);
  });
}

void SwiGluBackwardLowp(Precision p, uint16_t* dgate_up16, float* dbias, const float* dout, const float* gate_up,
                        int64_t N, int64_t I) {
  CHECK(p != Precision::kF32);
  RoundRowsWithColumnSums(
      p,
      [&](int64_t r, float* row) {
        SwiGluBackwardRow(row, dout + r * I, gate_up + r * 2 * I, I);
        return row;
      },
      dgate_up16, dbias, N, 2 * I);
}

void SwiGluForwardRef(float* out, const float* gate_up, int64_t N, int64_t I) {
  for (int64_t r = 0; r < N; ++r)
    for (int64_t i = 0; i < I; ++i) {
      double g = gate_up[r * 2 * I + i], u = gate_up[r * 2 * I + I + i];
      out[r * I + i] = static_cast<float>(g / (1.0 + std::exp(-g)) * u);
    }
}

void SwiGluBackwardRef(float* dgate_up, const float* dout, const float* gate_up, int64_t N,
                       int64_t I) {
  for (int64_t r = 0; r < N; ++r)
    for (int64_t i = 0; i < I; ++i) {
      double g = gate_up[r * 2 * I + i], u = gate_up[r * 2 * I + I + i];
      double dy = dout[r * I + i];
      double s = 1.0 / (1.0 + std::exp(-g));
      dgate_up[r * 2 * I + i] = static_cast<float>(dy * u * s * (1.0 + g * (1.0 - s)));
      dgate_up[r * 2 * I + I + i] = static_cast<float>(dy * g * s);
    }
}

// ---------------------------------------------------------- Add, bias grads

void Add(float* out, const float* a, const float* b, int64_t n) {
  ParallelFor(n, 1 << 16, [&](int64_t b0, int64_t e) {
#pragma omp simd
    for (int64_t i = b0; i < e; ++i) out[i] = a[i] + b[i];
  });
}

void BiasBackward(float* dbias, const float* dout, int64_t N, int64_t C) {
  // Threads split the columns; each column sums all rows in row order, in
  // double, so the result is the same for every thread count.
  constexpr int64_t kColBlock = 16;  // one cache line of floats
  const int64_t n_col_blocks = (C + kColBlock - 1) / kColBlock;
  ParallelFor(n_col_blocks, std::max<int64_t>(1, 4096 / std::max<int64_t>(N, 1)),
              [&](int64_t cb0, int64_t cb1) {
                const int64_t c0 = cb0 * kColBlock, c1 = std::min(C, cb1 * kColBlock);
                std::vector<double> acc(c1 - c0, 0.0);
                double* a = acc.data();
                for (int64_t r = 0; r < N; ++r) {
                  const float* g = dout + r * C + c0;
#pragma omp simd
                  for (int64_t c = 0; c < c1 - c0; ++c) a[c] += g[c];
                }
                for (int64_t c = c0; c < c1; ++c)
                  dbias[c] = static_cast<float>(dbias[c] + a[c - c0]);
              });
}

void BiasBackwardRef(float* dbias, const float* dout, int64_t N, int64_t C) {
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t r = 0; r < N; ++r) s += dout[r * C + c];
    dbias[c] = static_cast<float>(dbias[c] + s);
  }
}

}  // namespace seek
