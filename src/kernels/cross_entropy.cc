// kernels/cross_entropy.cc — fused softmax cross-entropy forward and logits gradient.
//
// Per row (threaded over rows): read the target logit first (the row may be
// overwritten in place), take the max, then sum exp(x - max) — in the fused
// form writing each exp into dlogits on the way — and finally scale the row by
// grad_scale / sum and subtract grad_scale at the target. exp is vec::ExpF so
// the passes vectorise; the sum of exps is accumulated in f32 over chunks of
// 256 and in double across chunks. The total loss is summed serially in row
// order, so it is the same for every thread count.
#include "kernels/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/check.h"
#include "core/threads.h"
#include "kernels/lowp.h"
#include "kernels/vec_math.h"

namespace seek {
namespace {

constexpr int64_t kChunk = 256;

inline void CheckTarget(int32_t t, int64_t V) {
  CHECK_MSG(t == kIgnoreTarget || (t >= 0 && t < V), "cross-entropy target out of range");
}

// sum_i exp(x[i] - m); when e is not null also writes e[i] = exp(x[i] - m).
// e may alias x.
inline double SumExp(float* e, const float* x, float m, int64_t V) {
  double total = 0;
  for (int64_t b = 0; b < V; b += kChunk) {
    const int64_t end = std::min(V, b + kChunk);
    float s = 0;
    if (e) {
#pragma omp simd reduction(+ : s)
      for (int64_t i = b; i < end; ++i) {
        float v = vec::ExpF(x[i] - m);
        e[i] = v;
        s += v;
      }
    } else {
#pragma omp simd reduction(+ : s)
      for (int64_t i = b; i < end; ++i) s += vec::ExpF(x[i] - m);
    }
    total += s;
  }
  return total;
}

double SumLosses(const float* losses, int64_t N) {
  double total = 0;
  for (int64_t r = 0; r < N; ++r) total += losses[r];
  return total;
}

int64_t MinRowsPerThread(int64_t V) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(V, 1));
}

}  // namespace

double CrossEntropyForward(float* losses, const float* logits, const int32_t* targets, int64_t N,
                           int64_t V) {
  CHECK(V > 0);
  ParallelFor(N, MinRowsPerThread(V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int32_t t = targets[r];
      CheckTarget(t, V);
      if (t == kIgnoreTarget) {
        losses[r] = 0.f;
        continue;
      }
      const float* x = logits + r * V;
      const float m = vec::Max(x, V);
      const double lse = m + std::log(SumExp(nullptr, x, m, V));
      losses[r] = static_cast<float>(lse - x[t]);
    }
  });
  return SumLosses(losses, N);
}

namespace {

// One row of CrossEntropyForwardBackward; returns its loss. dx may alias x.
float RowForwardBackward(float* dx, const float* x, int32_t t, int64_t V, float grad_scale) {
  if (t == kIgnoreTarget) {
    std::fill(dx, dx + V, 0.f);
    return 0.f;
  }
  const float x_t = x[t];  // before dx (possibly x itself) is overwritten
  const float m = vec::Max(x, V);
  const double sum = SumExp(dx, x, m, V);
  const float k = static_cast<float>(grad_scale / sum);
#pragma omp simd
  for (int64_t i = 0; i < V; ++i) dx[i] *= k;
  dx[t] -= grad_scale;
  return static_cast<float>(m + std::log(sum) - x_t);
}

}  // namespace

double CrossEntropyForwardBackward(float* dlogits, float* losses, const float* logits,
                                   const int32_t* targets, int64_t N, int64_t V, float grad_scale) {
  CHECK(V > 0);
  ParallelFor(N, MinRowsPerThread(V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      CheckTarget(targets[r], V);
      losses[r] = RowForwardBackward(dlogits + r * V, logits + r * V, targets[r], V, grad_scale);
    }
  });
  return SumLosses(losses, N);
}

double CrossEntropyForwardBackwardLowp(Precision p, uint16_t* dlogits16, float* losses, const float* logits,
                                       const int32_t* targets, int64_t N, int64_t V, float grad_scale) {
  CHECK(V > 0 && p != Precision::kF32);
  // In place, each row's halves first go to the first half of its own floats
  // (a row is read whole before it is written), rows 2V halves apart; then
  // rows move down to V apart. Row r's new place [rV, rV + V) covers the old
  // places of rows below r / 2 + 1 only, so rows [2^k, 2^(k+1)) move
  // together once the rows below 2^k have.
  const bool in_place = static_cast<const void*>(dlogits16) == static_cast<const void*>(logits);
  const int64_t ld16 = in_place ? 2 * V : V;
  ParallelFor(N, MinRowsPerThread(V), [&](int64_t r0, int64_t r1) {
    thread_local std::vector<float> row;  // one row of f32 gradient, reused
    if (static_cast<int64_t>(row.size()) < V) row.resize(static_cast<size_t>(V));
    for (int64_t r = r0; r < r1; ++r) {
      CheckTarget(targets[r], V);
      losses[r] = RowForwardBackward(row.data(), logits + r * V, targets[r], V, grad_scale);
      ToLowPrecisionSpan(p, row.data(), dlogits16 + r * ld16, V);
    }
  });
  if (in_place) {
    for (int64_t lo = 1; lo < N; lo *= 2) {
      const int64_t hi = std::min(N, 2 * lo);
      ParallelFor(hi - lo, std::max<int64_t>(1, (int64_t{1} << 16) / V), [&](int64_t b, int64_t e) {
        for (int64_t r = lo + b; r < lo + e; ++r)
          std::memcpy(dlogits16 + r * V, dlogits16 + r * 2 * V, sizeof(uint16_t) * V);
      });
    }
  }
  return SumLosses(losses, N);
}

double CrossEntropyForwardBackwardRef(float* dlogits, float* losses, const float* logits,
                                      const int32_t* targets, int64_t N, int64_t V,
                                      float grad_scale) {
  double total = 0;
  for (int64_t r = 0; r < N; ++r) {
    const int32_t t = targets[r];
    CheckTarget(t, V);
    const float* x = logits + r * V;
    float* dx = dlogits + r * V;
    if (t == kIgnoreTarget) {
      losses[r] = 0.f;
      for (int64_t i = 0; i < V; ++i) dx[i] = 0.f;
      continue;
    }
    double m = x[0];
    for (int64_t i = 1; i < V; ++i) m = std::max(m, static_cast<double>(x[i]));
    double sum = 0;
    for (int64_t i = 0; i < V; ++i) sum += std::exp(x[i] - m);
    const double lse = m + std::log(sum);
    const double loss = lse - x[t];
    losses[r] = static_cast<float>(loss);
    total += loss;
    for (int64_t i = 0; i < V; ++i) {
      double p = std::exp(x[i] - lse);  // reads x[i] before dx[i] (maybe the same) is written
      dx[i] = static_cast<float>((p - (i == t ? 1.0 : 0.0)) * grad_scale);
    }
  }
  return total;
}

}  // namespace seek
