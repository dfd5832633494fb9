// kernels/rope.cc — rotary position embedding (HF Llama rotate-half), table and kernels.
//
// MakeRopeTable reproduces HF LlamaRotaryEmbedding step by step in f32:
//   inv_freq = 1.0 / (theta ** (arange(0, D, 2).float() / D))   all f32
//   freqs    = position.float() * inv_freq                       f32 product
//   cos, sin = freqs.cos(), freqs.sin()                          of the f32 angle
// The f32 angle is what HF feeds to cos/sin, so the table carries HF's own
// rounding: for large positions it differs from the exact (double) angle by up
// to ~angle * 2^-23 (about 1e-4 radians at position 4096), and so do HF's
// results. cos/sin of the f32 angle are evaluated in double and rounded once,
// which is what a correctly rounded f32 cos/sin returns.
#include "kernels/rope.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/threads.h"

namespace seek {
namespace {

// Rotates every pair (x[i], x[i + half]) of every head of every token by
// `sign` * angle, with cos/sin taken from `table`.
void RotateWithTable(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
                     const int32_t* pos, const RopeTable& table, float sign) {
  CHECK(head_dim > 0 && head_dim % 2 == 0);
  CHECK(table.half_dim == head_dim / 2);
  CHECK(stride >= n_heads * head_dim);
  const int64_t half = head_dim / 2;
  const int64_t min_tokens = std::max<int64_t>(1, 8192 / std::max<int64_t>(n_heads * head_dim, 1));
  ParallelFor(n_tokens, min_tokens, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t p = pos[t];
      CHECK(p >= 0 && p < table.max_pos);
      const float* cs = table.cos.data() + p * half;
      const float* sn = table.sin.data() + p * half;
      for (int64_t h = 0; h < n_heads; ++h) {
        float* x1 = x + t * stride + h * head_dim;
        float* x2 = x1 + half;
#pragma omp simd
        for (int64_t i = 0; i < half; ++i) {
          const float c = cs[i], s = sign * sn[i];
          const float a = x1[i], b = x2[i];
          // HF: x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1].
          x1[i] = a * c - b * s;
          x2[i] = b * c + a * s;
        }
      }
    }
  });
}

void RotateRef(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
               const int32_t* pos, double theta, double sign) {
  CHECK(head_dim > 0 && head_dim % 2 == 0);
  const int64_t half = head_dim / 2;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t h = 0; h < n_heads; ++h) {
      float* x1 = x + t * stride + h * head_dim;
      float* x2 = x1 + half;
      for (int64_t i = 0; i < half; ++i) {
        double angle = pos[t] / std::pow(theta, 2.0 * i / static_cast<double>(head_dim));
        double c = std::cos(angle), s = sign * std::sin(angle);
        double a = x1[i], b = x2[i];
        x1[i] = static_cast<float>(a * c - b * s);
        x2[i] = static_cast<float>(b * c + a * s);
      }
    }
  }
}

}  // namespace

RopeTable MakeRopeTable(int64_t max_pos, int64_t head_dim, double theta) {
  CHECK(head_dim > 0 && head_dim % 2 == 0);
  CHECK(max_pos >= 0 && theta > 0);
  RopeTable table;
  table.max_pos = max_pos;
  table.half_dim = head_dim / 2;
  std::vector<float> inv_freq(table.half_dim);
  const float theta_f = static_cast<float>(theta);
  for (int64_t i = 0; i < table.half_dim; ++i) {
    // arange(0, D, 2).float() / D: an f32 division.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    inv_freq[i] = 1.0f / std::pow(theta_f, exponent);  // powf: f32 base and exponent
  }
  table.cos.resize(max_pos * table.half_dim);
  table.sin.resize(max_pos * table.half_dim);
  ParallelFor(max_pos, 64, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      for (int64_t i = 0; i < table.half_dim; ++i) {
        const float angle = static_cast<float>(p) * inv_freq[i];  // f32 product, as HF
        table.cos[p * table.half_dim + i] =
            static_cast<float>(std::cos(static_cast<double>(angle)));
        table.sin[p * table.half_dim + i] =
            static_cast<float>(std::sin(static_cast<double>(angle)));
      }
    }
  });
  return table;
}

void RopeForward(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
                 const int32_t* pos, const RopeTable& table) {
  RotateWithTable(x, n_tokens, n_heads, head_dim, stride, pos, table, 1.0f);
}

void RopeBackward(float* dx, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
                  const int32_t* pos, const RopeTable& table) {
  // The rotation is orthogonal, so its transpose (the gradient) is the
  // rotation by -angle.
  RotateWithTable(dx, n_tokens, n_heads, head_dim, stride, pos, table, -1.0f);
}

void RopeForwardRef(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
                    const int32_t* pos, double theta) {
  RotateRef(x, n_tokens, n_heads, head_dim, stride, pos, theta, 1.0);
}

void RopeBackwardRef(float* dx, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
                     const int32_t* pos, double theta) {
  RotateRef(dx, n_tokens, n_heads, head_dim, stride, pos, theta, -1.0);
}

}  // namespace seek
