// kernels/activations.h — pointwise activations and small elementwise ops, f32.
//
// Backward functions here OVERWRITE their gradient outputs (=) unless the
// comment says +=. Every function threads over elements with ParallelFor and
// has a *Ref twin where the math is more than one line.
#pragma once

#include <cstdint>

#include "kernels/precision.h"

namespace seek {

// GELU, tanh approximation (GPT-2's "gelu_new", PyTorch approximate='tanh').
// out, inp: [n]. out may alias inp.
void GeluForward(float* out, const float* inp, int64_t n);
// dinp = dout * gelu'(inp); dinp may alias dout.
void GeluBackward(float* dinp, const float* dout, const float* inp, int64_t n);
void GeluForwardRef(float* out, const float* inp, int64_t n);
void GeluBackwardRef(float* dinp, const float* dout, const float* inp, int64_t n);

// GeluForward and SwiGluForward with a 16-bit output (p is kBf16 or kF16),
// for mixed precision, where the activation is only read as a GEMM operand:
// out16 gets exactly ToLowPrecision(p) of the f32 kernel's output, bit for
// bit, rounded piece by piece while in cache; no f32 copy is kept.
void GeluForwardLowp(Precision p, uint16_t* out16, const float* inp, int64_t n);
void SwiGluForwardLowp(Precision p, uint16_t* out16, const float* gate_up, int64_t N, int64_t I);
// Their backward for the same use, where the input gradient is only read as
// a 16-bit GEMM operand (the output gradient of the layer before) and summed
// into that layer's bias gradient: din16 [N, I] (GELU) or [N, 2I] (SwiGLU)
// gets exactly ToLowPrecision(p) of GeluBackward's / SwiGluBackward's
// result, and dbias (null: none) exactly the column sums that
// ToLowPrecisionWithColumnSums would add; no f32 gradient is written.
void GeluBackwardLowp(Precision p, uint16_t* din16, float* dbias, const float* dout, const float* inp, int64_t N,
                      int64_t I);
void SwiGluBackwardLowp(Precision p, uint16_t* dgate_up16, float* dbias, const float* dout, const float* gate_up,
                        int64_t N, int64_t I);

// SiLU: out = x * sigmoid(x).
void SiluForward(float* out, const float* inp, int64_t n);
void SiluBackward(float* dinp, const float* dout, const float* inp, int64_t n);
void SiluForwardRef(float* out, const float* inp, int64_t n);
void SiluBackwardRef(float* dinp, const float* dout, const float* inp, int64_t n);

// SwiGLU on a fused gate/up projection (one GEMM produces both):
// gate_up: [N, 2*I], columns [0, I) are gate, [I, 2I) are up.
// out: [N, I] = silu(gate) * up.
void SwiGluForward(float* out, const float* gate_up, int64_t N, int64_t I);
// dgate_up: [N, 2*I] (=); dout: [N, I].
void SwiGluBackward(float* dgate_up, const float* dout, const float* gate_up, int64_t N, int64_t I);
void SwiGluForwardRef(float* out, const float* gate_up, int64_t N, int64_t I);
void SwiGluBackwardRef(float* dgate_up, const float* dout, const float* gate_up, int64_t N,
                       int64_t I);

// out[i] = a[i] + b[i]; out may alias a or b.
void Add(float* out, const float* a, const float* b, int64_t n);
// dbias[c] += sum over rows of dout[r, c]. dout: [N, C]; dbias: [C]. Deterministic.
void BiasBackward(float* dbias, const float* dout, int64_t N, int64_t C);
void BiasBackwardRef(float* dbias, const float* dout, int64_t N, int64_t C);

}  // namespace seek
