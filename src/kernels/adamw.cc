#include "kernels/adamw.h"

#include <cmath>
#include <vector>

#include "core/threads.h"

namespace seek {
namespace {

struct Scalars {
  float decay, b1, one_minus_b1, b2, one_minus_b2, bc2_sqrt, eps, neg_step_size, grad_scale;
};

Scalars MakeScalars(const AdamWParams& p) {
  const double bc1 = 1.0 - std::pow(p.beta1, static_cast<double>(p.step));
  const double bc2 = 1.0 - std::pow(p.beta2, static_cast<double>(p.step));
  return Scalars{static_cast<float>(1.0 - p.lr * p.weight_decay),
                 static_cast<float>(p.beta1),
                 static_cast<float>(1.0 - p.beta1),
                 static_cast<float>(p.beta2),
                 static_cast<float>(1.0 - p.beta2),
                 static_cast<float>(std::sqrt(bc2)),
                 static_cast<float>(p.eps),
                 static_cast<float>(-(p.lr / bc1)),
                 p.grad_scale};
}

void UpdateRange(float* __restrict param, const float* __restrict grad, float* __restrict m,
                 float* __restrict v, int64_t n, const Scalars s) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] * s.grad_scale;
    float w = param[i] * s.decay;
    const float mi = m[i] * s.b1 + s.one_minus_b1 * g;
    const float vi = v[i] * s.b2 + s.one_minus_b2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / s.bc2_sqrt + s.eps;
    param[i] = w + s.neg_step_size * (mi / denom);
  }
}

}  // namespace

void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n,
                 const AdamWParams& p) {
  const Scalars s = MakeScalars(p);
  ParallelFor(n, 1 << 14, [&](int64_t b, int64_t e) {
    UpdateRange(param + b, grad + b, m + b, v + b, e - b, s);
  });
}

void AdamWUpdateRef(float* param, const float* grad, float* m, float* v, int64_t n,
                    const AdamWParams& p) {
  const Scalars s = MakeScalars(p);
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] * s.grad_scale;
    param[i] *= s.decay;
    m[i] = m[i] * s.b1;
    m[i] = m[i] + s.one_minus_b1 * g;
    v[i] = v[i] * s.b2;
    v[i] = v[i] + s.one_minus_b2 * g * g;
    float denom = std::sqrt(v[i]) / s.bc2_sqrt;
    denom = denom + s.eps;
    param[i] = param[i] + s.neg_step_size * (m[i] / denom);
  }
}

double SumOfSquares(const float* x, int64_t n) {
  // Fixed-size blocks summed in order: the result does not depend on the
  // thread count. Within a block, 16 double lanes (two vectors) take every
  // 16th square, so the loop vectorises without reassociating a reduction.
  constexpr int64_t kBlock = 1 << 14, kLanes = 16;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks, 0.0);
  ParallelFor(blocks, 4, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int64_t lo = k * kBlock, hi = std::min(n, lo + kBlock);
      double lanes[kLanes] = {};
      int64_t i = lo;
      for (; i + kLanes <= hi; i += kLanes) {
#pragma omp simd
        for (int64_t j = 0; j < kLanes; ++j) lanes[j] += static_cast<double>(x[i + j]) * x[i + j];
      }
      for (int64_t j = 0; i < hi; ++i, ++j) lanes[j] += static_cast<double>(x[i]) * x[i];
      double acc = 0;
      for (double l : lanes) acc += l;
      partial[k] = acc;
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

void Scale(float* x, int64_t n, float s) {
  ParallelFor(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) x[i] *= s;
  });
}

}  // namespace seek
