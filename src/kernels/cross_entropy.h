// kernels/cross_entropy.h — softmax cross-entropy fused with the logits' backward.
//
// One pass per row: max, log-sum-exp, the loss, and (in the fused form) the
// gradient (softmax - onehot) * grad_scale written over the logits, so the
// [N, V] probabilities are never stored separately. Rows thread in parallel.
#pragma once

#include <cstdint>

#include "kernels/precision.h"

namespace seek {

inline constexpr int32_t kIgnoreTarget = -1;  // a target of -1 contributes no loss or gradient

// logits: [N, V]; targets: [N] int32 in [0, V) or kIgnoreTarget; losses: [N]
// (0 for ignored rows). Returns the sum of losses over non-ignored rows.
double CrossEntropyForward(float* losses, const float* logits, const int32_t* targets, int64_t N,
                           int64_t V);
// As CrossEntropyForward, and also dlogits = (softmax(logits) - onehot) * grad_scale
// (0 rows for ignored targets). dlogits may alias logits (in place).
double CrossEntropyForwardBackward(float* dlogits, float* losses, const float* logits,
                                   const int32_t* targets, int64_t N, int64_t V, float grad_scale);
// CrossEntropyForwardBackward for mixed precision, where dlogits is only read
// as a 16-bit GEMM operand: dlogits16 [N, V] gets exactly ToLowPrecision(p)
// of the f32 dlogits, bit for bit, each row rounded while in cache; no f32
// gradient is written. dlogits16 may be the logits' own memory
// (reinterpret_cast<uint16_t*>(logits)), which then needs no other buffer;
// else the logits are only read.
double CrossEntropyForwardBackwardLowp(Precision p, uint16_t* dlogits16, float* losses, const float* logits,
                                       const int32_t* targets, int64_t N, int64_t V, float grad_scale);
double CrossEntropyForwardBackwardRef(float* dlogits, float* losses, const float* logits,
                                      const int32_t* targets, int64_t N, int64_t V,
                                      float grad_scale);

}  // namespace seek
