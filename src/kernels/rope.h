// kernels/rope.h — rotary position embedding, HF Llama "rotate half" convention.
//
// For head_dim D and i in [0, D/2): the pair (x[i], x[i + D/2]) is rotated by
// angle pos * inv_freq[i], inv_freq[i] = 1 / theta^(2i / D). The table is
// computed in f32 exactly as HF's LlamaRotaryEmbedding does (inv_freq in f32,
// pos * inv_freq in f32, then cos/sin), so results agree to the last bits.
// Rows may live inside a wider buffer (fused QKV): `stride` is the distance
// in floats between consecutive tokens' rows. Thread-safe for disjoint data.
#pragma once

#include <cstdint>
#include <vector>

namespace seek {

struct RopeTable {
  int64_t max_pos = 0;
  int64_t half_dim = 0;
  std::vector<float> cos, sin;  // [max_pos, half_dim]
};

RopeTable MakeRopeTable(int64_t max_pos, int64_t head_dim, double theta);

// x: n_tokens rows with row stride `stride`; each row starts with n_heads heads
// of head_dim floats. pos: [n_tokens] int32 in [0, table.max_pos). In place.
void RopeForward(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
                 const int32_t* pos, const RopeTable& table);
// The gradient of RopeForward: rotates dx by -angle, in place.
void RopeBackward(float* dx, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
                  const int32_t* pos, const RopeTable& table);
// Reference twin: computes each angle in double from theta directly, no table.
void RopeForwardRef(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t stride,
                    const int32_t* pos, double theta);
void RopeBackwardRef(float* dx, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
                     int64_t stride, const int32_t* pos, double theta);

}  // namespace seek
