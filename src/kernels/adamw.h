// kernels/adamw.h — the AdamW update (decoupled weight decay), f32.
//
// Follows torch.optim.AdamW (single-tensor path) operation by operation, so a
// Seek run and a PyTorch run of the same steps agree to rounding:
//   p *= 1 - lr * wd
//   m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g * g
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// t is the 1-based step count. Threads over elements; deterministic.
#pragma once

#include <cstdint>

namespace seek {

struct AdamWParams {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double weight_decay = 0.0;
  int64_t step = 1;  // 1-based
  // Each gradient is multiplied by this first (clipping, loss-scale
  // removal): the same float multiply as scaling the gradients beforehand,
  // without a separate pass over them.
  float grad_scale = 1.f;
};

// param, grad, m, v: [n]. grad is read, never written.
void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n,
                 const AdamWParams& p);
void AdamWUpdateRef(float* param, const float* grad, float* m, float* v, int64_t n,
                    const AdamWParams& p);

// Sum of squares of x[0, n) in double (for the global gradient norm).
double SumOfSquares(const float* x, int64_t n);
// x *= s.
void Scale(float* x, int64_t n, float s);

}  // namespace seek
