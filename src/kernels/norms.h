// kernels/norms.h — LayerNorm and RMSNorm over the last dimension, f32.
//
// Forward saves per-row statistics for backward. Backward ACCUMULATES into
// dinp, dweight and dbias (+=): the residual stream's gradient arrives in dinp
// already, and weight gradients sum over micro-batches. Callers zero first.
// All functions thread over rows with ParallelFor. The weight-gradient sums are
// reduced per block of rows (block size fixed by N alone), then the block sums
// are added in block order: bitwise deterministic for every thread count.
// Each fast kernel has a *Ref twin (plain loops, double accumulation).
#pragma once

#include <cstdint>

#include "kernels/precision.h"

namespace seek {

// The residual add fused into the forward kernels (one pass over the rows,
// each row still in cache): with `add` set, the normalised input is
// inp + add, element by element in f32, and that sum is also stored to
// `sum` ([N, C], which may be inp itself). Bitwise the same as an Add pass
// followed by the plain kernel on its output.
struct ResidualAdd {
  const float* add = nullptr;
  float* sum = nullptr;
};

// out, inp: [N, C]; weight, bias: [C] (bias may be null); mean, rstd: [N].
// out = (inp - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps), biased variance.
void LayerNormForward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                      const float* bias, int64_t N, int64_t C, float eps, ResidualAdd residual = {});
// dinp: [N, C] (+=); dweight, dbias: [C] (+=; dbias may be null); dout, inp: [N, C].
void LayerNormBackward(float* dinp, float* dweight, float* dbias, const float* dout,
                       const float* inp, const float* weight, const float* mean, const float* rstd,
                       int64_t N, int64_t C);
void LayerNormForwardRef(float* out, float* mean, float* rstd, const float* inp,
                         const float* weight, const float* bias, int64_t N, int64_t C, float eps);
void LayerNormBackwardRef(float* dinp, float* dweight, float* dbias, const float* dout,
                          const float* inp, const float* weight, const float* mean,
                          const float* rstd, int64_t N, int64_t C);

// The forward kernels with a 16-bit output (p is kBf16 or kF16), for mixed
// precision, where a norm's output is only ever read as a GEMM operand:
// out16 gets exactly ToLowPrecision(p) of what the f32 kernel writes, bit for
// bit, but each row is rounded while it is in cache and no f32 copy is kept.
void LayerNormForwardLowp(Precision p, uint16_t* out16, float* mean, float* rstd, const float* inp,
                          const float* weight, const float* bias, int64_t N, int64_t C, float eps,
                          ResidualAdd residual = {});
void RmsNormForwardLowp(Precision p, uint16_t* out16, float* rstd, const float* inp, const float* weight,
                        int64_t N, int64_t C, float eps, ResidualAdd residual = {});

// RMSNorm as in HF Llama: out = inp * rstd * weight, rstd = 1 / sqrt(mean(inp^2) + eps).
// out, inp: [N, C]; weight: [C]; rstd: [N].
void RmsNormForward(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                    int64_t C, float eps, ResidualAdd residual = {});
// dinp: [N, C] (+=); dweight: [C] (+=).
void RmsNormBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, const float* rstd, int64_t N, int64_t C);
void RmsNormForwardRef(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                       int64_t C, float eps);
void RmsNormBackwardRef(float* dinp, float* dweight, const float* dout, const float* inp,
                        const float* weight, const float* rstd, int64_t N, int64_t C);

}  // namespace seek
