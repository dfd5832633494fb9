// model/block.h — the one composable Transformer block (pre-norm).
//
//   x_mid = x_in  + Out(Attention(Rope?(QKV(Norm1(x_in)))))
//   x_out = x_mid + Down(Act(Up(Norm2(x_mid))))
//
// Norm (LayerNorm | RMSNorm), position encoding (learned positions live in
// the embedding; RoPE is applied here), MLP (GELU | SwiGLU) and biases are
// chosen by the config's Architecture; nothing here knows a family's name.
// BlockActs are the activations one block saves for its backward pass; the
// model owns their memory (allocated once per batch shape, reused each step).
#pragma once

#include <cstdint>

#include "kernels/attention.h"
#include "kernels/lowp.h"
#include "kernels/norms.h"
#include "kernels/rope.h"
#include "model/config.h"
#include "model/params.h"
#include "model/tensor_parallel.h"

namespace seek {

// Pointers to one block's parameters (or their gradients); null where the
// architecture has no such tensor (biases).
struct BlockParams {
  float *norm1_w = nullptr, *norm1_b = nullptr, *qkv_w = nullptr, *qkv_b = nullptr;
  float *out_w = nullptr, *out_b = nullptr, *norm2_w = nullptr, *norm2_b = nullptr;
  float *up_w = nullptr, *up_b = nullptr, *down_w = nullptr, *down_b = nullptr;
};
// `base` is ParamStore::data() or grad(): the same table serves both.
BlockParams BlockParamsAt(const ParamStore& store, float* base, int64_t layer);

struct BlockActs {
  float* x_in;       // [N, C] block input (the residual stream)
  float* norm1;      // [N, C]
  float* norm1_mean;  // [N] (LayerNorm only)
  float* norm1_rstd;  // [N]
  float* qkv;        // [N, (H + 2 KVH) D], after RoPE
  float* attn;       // [N, H D]
  float* lse;        // [B, H, T]
  float* x_mid;      // [N, C]
  float* norm2;      // [N, C]
  float* norm2_mean;  // [N]
  float* norm2_rstd;  // [N]
  float* up;         // [N, I] (GELU) or [N, 2I] (SwiGLU: gate, up) before the activation
  float* act;        // [N, I]
};
// Floats one block's activations need for N = B*T tokens in precision p. In
// a 16-bit mode norm1, norm2 and act hold 16-bit GEMM operands (see
// Operand() below) and take half the floats.
int64_t BlockActsSize(const ModelConfig& c, int64_t B, int64_t T, Precision p);
// Carves BlockActs out of `mem` (BlockActsSize floats, 64-byte aligned pieces).
BlockActs BlockActsAt(const ModelConfig& c, int64_t B, int64_t T, Precision p, float* mem);
// Floats that hold n values of an activation read only as a GEMM operand.
inline int64_t OperandFloats(int64_t n, Precision p) { return p == Precision::kF32 ? n : (n + 1) / 2; }

// Scratch for backward, shared by all blocks.
struct BlockGradScratch {
  float* dnorm;  // [N, C]
  float* dqkv;   // [N, (H + 2 KVH) D]
  float* dattn;  // [N, H D]
  float* dup;    // [N, I or 2I]
  float* dact;   // [N, I]
};
int64_t BlockGradScratchSize(const ModelConfig& c, int64_t B, int64_t T);
BlockGradScratch BlockGradScratchAt(const ModelConfig& c, int64_t B, int64_t T, float* mem);

// Mixed precision: the linear layers' operands (weights, their inputs and,
// in backward, the output gradients) in bf16 or fp16; everything else
// (norms, attention, activations' math, residual stream, gradients) in fp32.
struct LowpContext {
  Precision precision = Precision::kF32;
  const float* params = nullptr;        // ParamStore::data(): the fp32 master weights
  const uint16_t* params_lp = nullptr;  // their 16-bit copy, at the same offsets
  uint16_t* x = nullptr;                // scratch for a converted f32 input (the attention output)
  uint16_t* dy = nullptr;               // scratch for a converted output gradient [N * widest layer]
  int64_t x_halves = 0, dy_halves = 0;  // their sizes
  const uint16_t* Lp(const float* w) const { return params_lp + (w - params); }
};

struct BlockContext {
  const ModelConfig* config;
  int64_t B, T;
  const int32_t* pos;       // [B*T] position of each token within its document
  const int32_t* doc;       // [B, T] or null
  const RopeTable* rope;    // null unless the architecture uses RoPE
  AttentionStats* stats;    // may be null
  const LowpContext* lowp = nullptr;  // null or kF32: every multiply in fp32
  // Tensor parallel: null or size 1 for a whole model. Otherwise *config is
  // the rank's local config (TpLocalConfig) and the block all-reduces its
  // row-parallel outputs (forward) and its column-parallel input gradients
  // (backward); the row-parallel biases are added by rank 0 only.
  TensorParallel* tp = nullptr;
};

// a.x_in must hold the block input; writes every other activation and the
// block output to x_out ([N, C]; may be the next block's x_in).
void BlockForward(const BlockContext& ctx, const BlockParams& w, const BlockActs& a, float* x_out);
// BlockForward's two halves around attention, for callers that attend over
// their own keys and values (the inference engine's paged KV cache). Only
// ctx.B * ctx.T (the token count), ctx.pos and ctx.rope are read.
// In: a.x_in. Out: a.norm1 (+ stats), a.qkv (q and k rotated by RoPE).
void BlockAttnInForward(const BlockContext& ctx, const BlockParams& w, const BlockActs& a);
// In: a.x_in, a.attn. Out: a.x_mid, a.norm2 (+ stats), a.up, a.act and x_out.
void BlockAttnOutForward(const BlockContext& ctx, const BlockParams& w, const BlockActs& a,
                         float* x_out);
// dresid [N, C]: in, d x_out; out, d x_in (updated in place). Parameter
// gradients accumulate (+=) into g.
void BlockBackward(const BlockContext& ctx, const BlockParams& w, const BlockParams& g,
                   const BlockActs& a, const BlockGradScratch& s, float* dresid);

// An operand of a linear layer's multiplies (its input; in backward also its
// output gradient): f32 values, or, in a 16-bit mode, values their producer
// already rounded to that mode (then f32 is null).
struct LinearOperand {
  const float* f32 = nullptr;
  const uint16_t* lp = nullptr;
};
// The up projection's output width: 2 x intermediate when gated (SwiGLU).
int64_t UpRows(const ModelConfig& c);

// In a 16-bit mode, the norms' outputs and the MLP activation are only ever
// read as linear-layer inputs, so their producers (NormForwardOperand,
// ActivationForwardOperand) store them rounded, in the activation's own
// memory, and no f32 copy exists; this is how to read such an activation.
LinearOperand Operand(const LowpContext* lp, const float* x);

// y[N, out] = x[N, in] @ W[out, in]^T (+ b), in ctx's precision (also the LM head's).
void LinearForward(const LowpContext* lp, float* y, LinearOperand x, const float* w, const float* b,
                   int64_t N, int64_t in, int64_t out);
// dx = dy @ W (overwrites, when dx is not null); dW += dy^T @ x; db += colsum(dy)
// (db needs dy in f32).
void LinearBackward(const LowpContext* lp, float* dx, float* dw, float* db, LinearOperand dy,
                    LinearOperand x, const float* w, int64_t N, int64_t in, int64_t out);

// Shared pieces (also used by the model's final norm). With `residual`,
// the norm's input is inp + residual.add, also stored (kernels/norms.h).
void NormForward(const ModelConfig& c, float* out, float* mean, float* rstd, const float* inp,
                 const float* w, const float* b, int64_t N, ResidualAdd residual = {});
// NormForward whose output is read only through Operand(lp, out).
void NormForwardOperand(const LowpContext* lp, const ModelConfig& c, float* out, float* mean, float* rstd,
                        const float* inp, const float* w, const float* b, int64_t N, ResidualAdd residual = {});
// The MLP's activation (GELU, or SwiGLU of the fused gate/up) of up [N, up
// rows] into act [N, I], read only through Operand(lp, act).
void ActivationForwardOperand(const LowpContext* lp, const ModelConfig& c, float* act, const float* up,
                              int64_t N);
// Its backward: d up from d act, as the operand the up projection's
// backward reads. In fp32 it is written to dup; in a 16-bit mode it is
// rounded straight into lp->dy, and its column sums are already added to
// dup_bias (the up projection's bias gradient, may be null), which the
// caller then must not pass to LinearBackward: see ActivationBackwardBias.
LinearOperand ActivationBackwardOperand(const LowpContext* lp, const ModelConfig& c, float* dup, float* dup_bias,
                                        const float* dact, const float* up, int64_t N);
// The bias gradient LinearBackward still has to sum from `dup`.
inline float* ActivationBackwardBias(LinearOperand dup, float* dup_bias) { return dup.lp ? nullptr : dup_bias; }
void NormBackward(const ModelConfig& c, float* dinp, float* dw, float* db, const float* dout,
                  const float* inp, const float* w, const float* mean, const float* rstd,
                  int64_t N);

}  // namespace seek
