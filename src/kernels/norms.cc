// kernels/norms.cc — LayerNorm and RMSNorm forward/backward (fast and reference).
//
// Fast path: rows thread with ParallelFor; inner loops are `omp simd` so GCC
// vectorises the reductions (it may reorder them; row statistics accumulate in
// double so the order does not matter at f32 precision).
// Weight gradients: rows are cut into blocks whose size depends only on N (not
// on the thread count). Each block sums its rows into its own [C] partial in
// f32; a second pass, threaded over columns, adds the block partials in block
// order in double and then into dweight/dbias. The result is bitwise the same
// on every run and for every thread count.
#include "kernels/norms.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/check.h"
#include "core/threads.h"
#include "kernels/lowp.h"

namespace seek {
namespace {

// Rows per weight-gradient block: at least 16 rows, at most 128 blocks, so
// the partials stay small ([<=128, C] floats) while leaving plenty of blocks
// to share among threads.
int64_t RowsPerBlock(int64_t N) {
  return std::max<int64_t>(16, (N + 127) / 128);
}

// Minimum rows per thread so that small problems do not pay for a fork.
int64_t MinRowsPerThread(int64_t C) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(C, 1));
}

// sum over rows of partial[b, c] for b in [0, n_blocks), added to out[c]: [C].
// partial: [n_blocks, C]. Threads split the columns; each column is summed in
// block order, in double.
void AddBlockPartials(float* out, const std::vector<float>& partial, int64_t n_blocks, int64_t C) {
  ParallelFor(C, 256, [&](int64_t c0, int64_t c1) {
    std::vector<double> acc(c1 - c0, 0.0);
    double* a = acc.data();
    for (int64_t b = 0; b < n_blocks; ++b) {
      const float* p = partial.data() + b * C + c0;
#pragma omp simd
      for (int64_t c = 0; c < c1 - c0; ++c) a[c] += p[c];
    }
    for (int64_t c = c0; c < c1; ++c) out[c] = static_cast<float>(out[c] + a[c - c0]);
  });
}

// Mean of x[0, C) accumulated in double.
inline double RowMean(const float* x, int64_t C) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t c = 0; c < C; ++c) s += x[c];
  return s / static_cast<double>(C);
}

// Row kernels. They take every pointer as a parameter: inside a ParallelFor
// lambda, pointers captured by reference are re-read from the closure, which
// kept GCC from vectorising the `omp simd` reductions in one of the two
// places ParallelFor calls the lambda (the single-thread path ran scalar).

// y, x, w, b: [C] (b may be null). Writes *mean and *rstd.
void LayerNormRow(float* y, float* mean, float* rstd, const float* x, const float* w,
                  const float* b, int64_t C, float eps) {
  // Two passes (mean, then squared deviations) avoid the cancellation of
  // E[x^2] - E[x]^2 when |mean| >> std.
  const float m = static_cast<float>(RowMean(x, C));
  double v = 0;
#pragma omp simd reduction(+ : v)
  for (int64_t c = 0; c < C; ++c) {
    float d = x[c] - m;
    v += static_cast<double>(d) * d;
  }
  const float s = static_cast<float>(1.0 / std::sqrt(v / static_cast<double>(C) + eps));
  if (b) {
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) y[c] = (x[c] - m) * s * w[c] + b[c];
  } else {
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) y[c] = (x[c] - m) * s * w[c];
  }
  *mean = m;
  *rstd = s;
}

// dx: [C] (+=); bw, bb: [C] block partials (+=; bb may be null); g, x, w: [C].
void LayerNormBackwardRow(float* dx, float* bw, float* bb, const float* g, const float* x,
                          const float* w, float m, float s, int64_t C) {
  // With n = (x - m) * s and dn = g * w:  dx = s * (dn - mean(dn) - n * mean(dn * n)).
  double sum_dn = 0, sum_dn_n = 0;
#pragma omp simd reduction(+ : sum_dn, sum_dn_n)
  for (int64_t c = 0; c < C; ++c) {
    float n = (x[c] - m) * s;
    float dn = g[c] * w[c];
    sum_dn += dn;
    sum_dn_n += static_cast<double>(dn) * n;
  }
  const float mean_dn = static_cast<float>(sum_dn / static_cast<double>(C));
  const float mean_dn_n = static_cast<float>(sum_dn_n / static_cast<double>(C));
  if (bb) {
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      float n = (x[c] - m) * s;
      dx[c] += s * (g[c] * w[c] - mean_dn - n * mean_dn_n);
      bw[c] += g[c] * n;
      bb[c] += g[c];
    }
  } else {
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      float n = (x[c] - m) * s;
      dx[c] += s * (g[c] * w[c] - mean_dn - n * mean_dn_n);
      bw[c] += g[c] * n;
    }
  }
}

// Row r's input: inp's row, or (fused residual add) the sum row, written now.
inline const float* InputRow(const float* inp, ResidualAdd residual, int64_t r, int64_t C) {
  const float* x = inp + r * C;
  if (residual.add == nullptr) return x;
  float* s = residual.sum + r * C;
  const float* a = residual.add + r * C;
#pragma omp simd
  for (int64_t c = 0; c < C; ++c) s[c] = x[c] + a[c];
  return s;
}

// y, x, w: [C]. Writes *rstd.
void RmsNormRow(float* y, float* rstd, const float* x, const float* w, int64_t C, float eps) {
  double ss = 0;
#pragma omp simd reduction(+ : ss)
  for (int64_t c = 0; c < C; ++c) ss += static_cast<double>(x[c]) * x[c];
  const float s = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(C) + eps));
  // HF order: weight * (x * rstd).
#pragma omp simd
  for (int64_t c = 0; c < C; ++c) y[c] = w[c] * (x[c] * s);
  *rstd = s;
}

// dx: [C] (+=); bw: [C] block partial (+=); g, x, w: [C].
void RmsNormBackwardRow(float* dx, float* bw, const float* g, const float* x, const float* w,
                        float s, int64_t C) {
  // y = w * x * s, s = (mean(x^2) + eps)^(-1/2):  dx = s * g * w - x * s^3 * mean(g * w * x).
  double dot = 0;
#pragma omp simd reduction(+ : dot)
  for (int64_t c = 0; c < C; ++c) dot += static_cast<double>(g[c] * w[c]) * x[c];
  const float k = static_cast<float>(dot / static_cast<double>(C) * s * s * s);
#pragma omp simd
  for (int64_t c = 0; c < C; ++c) {
    dx[c] += s * g[c] * w[c] - x[c] * k;
    bw[c] += g[c] * (x[c] * s);
  }
}

}  // namespace

// ---------------------------------------------------------------- LayerNorm

void LayerNormForward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                      const float* bias, int64_t N, int64_t C, float eps, ResidualAdd residual) {
  CHECK(C > 0 && (residual.add == nullptr || residual.sum != nullptr));
  ParallelFor(N, MinRowsPerThread(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      LayerNormRow(out + r * C, mean + r, rstd + r, InputRow(inp, residual, r, C), weight, bias, C, eps);
  });
}

// One reused row of f32 output per thread, rounded into the 16-bit output.
std::vector<float>& LowpRow(int64_t C) {
  thread_local std::vector<float> row;
  if (static_cast<int64_t>(row.size()) < C) row.resize(static_cast<size_t>(C));
  return row;
}

void LayerNormForwardLowp(Precision p, uint16_t* out16, float* mean, float* rstd, const float* inp,
                          const float* weight, const float* bias, int64_t N, int64_t C, float eps,
                          ResidualAdd residual) {
  CHECK(C > 0 && p != Precision::kF32 && (residual.add == nullptr || residual.sum != nullptr));
  ParallelFor(N, MinRowsPerThread(C), [&](int64_t r0, int64_t r1) {
    float* row = LowpRow(C).data();
    for (int64_t r = r0; r < r1; ++r) {
      LayerNormRow(row, mean + r, rstd + r, InputRow(inp, residual, r, C), weight, bias, C, eps);
      ToLowPrecisionSpan(p, row, out16 + r * C, C);
    }
  });
}

void LayerNormBackward(float* dinp, float* dweight, float* dbias, const float* dout,
                       const float* inp, const float* weight, const float* mean, const float* rstd,
                       int64_t N, int64_t C) {
  CHECK(C > 0);
  if (N <= 0) return;
  const int64_t rows_per_block = RowsPerBlock(N);
  const int64_t n_blocks = (N + rows_per_block - 1) / rows_per_block;
  std::vector<float> pw(n_blocks * C, 0.f), pb(dbias ? n_blocks * C : 0, 0.f);
  ParallelFor(n_blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      float* bw = pw.data() + b * C;
      float* bb = dbias ? pb.data() + b * C : nullptr;
      for (int64_t r = b * rows_per_block; r < std::min(N, (b + 1) * rows_per_block); ++r) {
        LayerNormBackwardRow(dinp + r * C, bw, bb, dout + r * C, inp + r * C, weight, mean[r],
                             rstd[r], C);
      }
    }
  });
  AddBlockPartials(dweight, pw, n_blocks, C);
  if (dbias) AddBlockPartials(dbias, pb, n_blocks, C);
}

void LayerNormForwardRef(float* out, float* mean, float* rstd, const float* inp,
                         const float* weight, const float* bias, int64_t N, int64_t C, float eps) {
  for (int64_t r = 0; r < N; ++r) {
    const float* x = inp + r * C;
    double m = 0;
    for (int64_t c = 0; c < C; ++c) m += x[c];
    m /= static_cast<double>(C);
    double v = 0;
    for (int64_t c = 0; c < C; ++c) v += (x[c] - m) * (x[c] - m);
    v /= static_cast<double>(C);
    double s = 1.0 / std::sqrt(v + eps);
    for (int64_t c = 0; c < C; ++c) {
      double y = (x[c] - m) * s * weight[c] + (bias ? bias[c] : 0.0);
      out[r * C + c] = static_cast<float>(y);
    }
    mean[r] = static_cast<float>(m);
    rstd[r] = static_cast<float>(s);
  }
}

void LayerNormBackwardRef(float* dinp, float* dweight, float* dbias, const float* dout,
                          const float* inp, const float* weight, const float* mean,
                          const float* rstd, int64_t N, int64_t C) {
  std::vector<double> dw(C, 0.0), db(C, 0.0);
  for (int64_t r = 0; r < N; ++r) {
    const float* x = inp + r * C;
    const float* g = dout + r * C;
    const double m = mean[r], s = rstd[r];
    double mean_dn = 0, mean_dn_n = 0;
    for (int64_t c = 0; c < C; ++c) {
      double n = (x[c] - m) * s;
      double dn = static_cast<double>(g[c]) * weight[c];
      mean_dn += dn;
      mean_dn_n += dn * n;
    }
    mean_dn /= static_cast<double>(C);
    mean_dn_n /= static_cast<double>(C);
    for (int64_t c = 0; c < C; ++c) {
      double n = (x[c] - m) * s;
      double dn = static_cast<double>(g[c]) * weight[c];
      dinp[r * C + c] = static_cast<float>(dinp[r * C + c] + s * (dn - mean_dn - n * mean_dn_n));
      dw[c] += g[c] * n;
      db[c] += g[c];
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    dweight[c] = static_cast<float>(dweight[c] + dw[c]);
    if (dbias) dbias[c] = static_cast<float>(dbias[c] + db[c]);
  }
}

// ------------------------------------------------------------------ RMSNorm

void RmsNormForward(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                    int64_t C, float eps, ResidualAdd residual) {
  CHECK(C > 0 && (residual.add == nullptr || residual.sum != nullptr));
  ParallelFor(N, MinRowsPerThread(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      RmsNormRow(out + r * C, rstd + r, InputRow(inp, residual, r, C), weight, C, eps);
  });
}

void RmsNormForwardLowp(Precision p, uint16_t* out16, float* rstd, const float* inp, const float* weight,
                        int64_t N, int64_t C, float eps, ResidualAdd residual) {
  CHECK(C > 0 && p != Precision::kF32 && (residual.add == nullptr || residual.sum != nullptr));
  ParallelFor(N, MinRowsPerThread(C), [&](int64_t r0, int64_t r1) {
    float* row = LowpRow(C).data();
    for (int64_t r = r0; r < r1; ++r) {
      RmsNormRow(row, rstd + r, InputRow(inp, residual, r, C), weight, C, eps);
      ToLowPrecisionSpan(p, row, out16 + r * C, C);
    }
  });
}

void RmsNormBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, const float* rstd, int64_t N, int64_t C) {
  CHECK(C > 0);
  if (N <= 0) return;
  const int64_t rows_per_block = RowsPerBlock(N);
  const int64_t n_blocks = (N + rows_per_block - 1) / rows_per_block;
  std::vector<float> pw(n_blocks * C, 0.f);
  ParallelFor(n_blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      float* bw = pw.data() + b * C;
      for (int64_t r = b * rows_per_block; r < std::min(N, (b + 1) * rows_per_block); ++r)
        RmsNormBackwardRow(dinp + r * C, bw, dout + r * C, inp + r * C, weight, rstd[r], C);
    }
  });
  AddBlockPartials(dweight, pw, n_blocks, C);
}

void RmsNormForwardRef(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                       int64_t C, float eps) {
  for (int64_t r = 0; r < N; ++r) {
    const float* x = inp + r * C;
    double ss = 0;
    for (int64_t c = 0; c < C; ++c) ss += static_cast<double>(x[c]) * x[c];
    double s = 1.0 / std::sqrt(ss / static_cast<double>(C) + eps);
    for (int64_t c = 0; c < C; ++c) out[r * C + c] = static_cast<float>(weight[c] * (x[c] * s));
    rstd[r] = static_cast<float>(s);
  }
}

void RmsNormBackwardRef(float* dinp, float* dweight, const float* dout, const float* inp,
                        const float* weight, const float* rstd, int64_t N, int64_t C) {
  std::vector<double> dw(C, 0.0);
  for (int64_t r = 0; r < N; ++r) {
    const float* x = inp + r * C;
    const float* g = dout + r * C;
    const double s = rstd[r];
    double dot = 0;
    for (int64_t c = 0; c < C; ++c) dot += static_cast<double>(g[c]) * weight[c] * x[c];
    const double k = dot / static_cast<double>(C) * s * s * s;
    for (int64_t c = 0; c < C; ++c) {
      double dx = s * g[c] * weight[c] - x[c] * k;
      dinp[r * C + c] = static_cast<float>(dinp[r * C + c] + dx);
      dw[c] += static_cast<double>(g[c]) * x[c] * s;
    }
  }
  for (int64_t c = 0; c < C; ++c) dweight[c] = static_cast<float>(dweight[c] + dw[c]);
}

}  // namespace seek
