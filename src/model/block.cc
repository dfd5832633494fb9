#include "model/block.h"

#include <fmt/format.h>

#include "core/profile.h"
#include "kernels/activations.h"
#include "kernels/gemm.h"
#include "kernels/lowp.h"
#include "kernels/norms.h"

namespace seek {
namespace {

int64_t Pad(int64_t n) { return (n + 15) / 16 * 16; }  // keep every piece 64-byte aligned

AttentionShape AttnShape(const BlockContext& ctx) {
  const ModelConfig& c = *ctx.config;
  AttentionShape s;
  s.batch = ctx.B;
  s.n_q = s.n_kv = ctx.T;
  s.n_head = c.n_head;
  s.n_kv_head = c.n_kv_head;
  s.head_dim = c.head_dim();
  s.q_stride = s.k_stride = s.v_stride = c.qkv_dim();
  s.o_stride = c.n_head * c.head_dim();
  // bf16 mixed precision multiplies bf16 operands inside attention too, as
  // the linear layers do (fp16 keeps f32 products: this CPU has no fp16 dot).
  s.bf16 = ctx.lowp != nullptr && ctx.lowp->precision == Precision::kBf16;
  return s;
}

bool IsLowp(const LowpContext* lp) { return lp != nullptr && lp->precision != Precision::kF32; }

bool TpActive(const BlockContext& ctx) { return ctx.tp != nullptr && ctx.tp->active(); }
// A row-parallel layer's bias: every rank holds it, rank 0 adds it before the sum.
const float* RowParallelBias(const BlockContext& ctx, const float* b) {
  return TpActive(ctx) && ctx.tp->rank() != 0 ? nullptr : b;
}
// Megatron's g (forward) and f (backward): a sum over the group.
void TpSum(const BlockContext& ctx, float* data, int64_t n) {
  if (!TpActive(ctx)) return;
  PROFILE_SCOPE("tensor-parallel all-reduce");
  ctx.tp->AllReduceSum(data, n);
}

}  // namespace

int64_t UpRows(const ModelConfig& c) {
  return c.arch.mlp == MlpKind::kSwiGlu ? 2 * c.intermediate : c.intermediate;
}

LinearOperand Operand(const LowpContext* lp, const float* x) {
  if (!IsLowp(lp)) return LinearOperand{x, nullptr};
  return LinearOperand{nullptr, reinterpret_cast<const uint16_t*>(x)};
}

namespace {

// x in the mode's 16 bits: as stored, or rounded now into `scratch`.
const uint16_t* Rounded(const LowpContext* lp, LinearOperand x, uint16_t* scratch, int64_t n) {
  if (x.lp) return x.lp;
  CHECK_MSG(n <= lp->x_halves, "16-bit input scratch too small for an f32 linear input");
  PROFILE_SCOPE("to 16-bit");
  ToLowPrecision(lp->precision, x.f32, scratch, n);
  return scratch;
}

}  // namespace

void LinearForward(const LowpContext* lp, float* y, LinearOperand x, const float* w, const float* b,
                   int64_t N, int64_t in, int64_t out) {
  const GemmShape s{false, true, N, out, in};
  if (!IsLowp(lp)) {
    CHECK(x.f32 != nullptr);
    PROFILE_SCOPE("gemm forward");
    return Gemm(s, 1.f, x.f32, w, 0.f, y, b);
  }
  const uint16_t* x16 = Rounded(lp, x, lp->x, N * in);
  PROFILE_SCOPE("gemm forward");
  GemmLowp(lp->precision, s, 1.f, x16, lp->Lp(w), 0.f, y, b);
}

void LinearBackward(const LowpContext* lp, float* dx, float* dw, float* db, LinearOperand dy,
                    LinearOperand x, const float* w, int64_t N, int64_t in, int64_t out) {
  const GemmShape dx_shape{false, false, N, in, out}, dw_shape{true, false, out, in, N};
  CHECK(db == nullptr || dy.f32 != nullptr);
  if (!IsLowp(lp)) {
    CHECK(x.f32 != nullptr && dy.f32 != nullptr);
    {
      PROFILE_SCOPE("gemm backward");
      if (dx) Gemm(dx_shape, 1.f, dy.f32, w, 0.f, dx);
      Gemm(dw_shape, 1.f, dy.f32, x.f32, 1.f, dw);
    }
    if (db) {
      PROFILE_SCOPE("bias gradient");
      BiasBackward(db, dy.f32, N, out);
    }
    return;
  }
  // The output gradient is rounded once and feeds both products; the bias
  // gradient is summed in the same pass.
  const uint16_t* dy16 = dy.lp;
  if (!dy16) {
    CHECK(N * out <= lp->dy_halves);
    PROFILE_SCOPE("to 16-bit");
    if (db)
      ToLowPrecisionWithColumnSums(lp->precision, dy.f32, lp->dy, db, N, out);
    else
      ToLowPrecision(lp->precision, dy.f32, lp->dy, N * out);
    dy16 = lp->dy;
  }
  // An f32 input is rounded again exactly as in forward (same bits): saving
  // its 16-bit copy would only trade memory for a cheap pass.
  const uint16_t* x16 = Rounded(lp, x, lp->x, N * in);
  PROFILE_SCOPE("gemm backward");
  if (dx) GemmLowp(lp->precision, dx_shape, 1.f, dy16, lp->Lp(w), 0.f, dx);
  GemmLowp(lp->precision, dw_shape, 1.f, dy16, x16, 1.f, dw);
}

BlockParams BlockParamsAt(const ParamStore& store, float* base, int64_t layer) {
  auto at = [&](const char* suffix) -> float* {
    const ParamInfo* p = store.Find(fmt::format("layers.{}.{}", layer, suffix));
    return p ? base + p->offset : nullptr;
  };
  return BlockParams{at("norm1.weight"), at("norm1.bias"),   at("attn.qkv.weight"),
                     at("attn.qkv.bias"), at("attn.out.weight"), at("attn.out.bias"),
                     at("norm2.weight"), at("norm2.bias"),   at("mlp.up.weight"),
                     at("mlp.up.bias"),  at("mlp.down.weight"), at("mlp.down.bias")};
}

int64_t BlockActsSize(const ModelConfig& c, int64_t B, int64_t T, Precision p) {
  const int64_t N = B * T, C = c.hidden;
  return 2 * Pad(N * C) + 2 * Pad(OperandFloats(N * C, p)) + 4 * Pad(N) + Pad(N * c.qkv_dim()) +
         Pad(N * c.n_head * c.head_dim()) + Pad(B * c.n_head * T) + Pad(N * UpRows(c)) +
         Pad(OperandFloats(N * c.intermediate, p));
}

BlockActs BlockActsAt(const ModelConfig& c, int64_t B, int64_t T, Precision p, float* mem) {
  const int64_t N = B * T, C = c.hidden;
  auto take = [&](int64_t n) {
    float* piece = mem;
    mem += Pad(n);
    return piece;
  };
  BlockActs a;
  a.x_in = take(N * C);
  a.norm1 = take(OperandFloats(N * C, p));
  a.norm1_mean = take(N);
  a.norm1_rstd = take(N);
  a.qkv = take(N * c.qkv_dim());
  a.attn = take(N * c.n_head * c.head_dim());
  a.lse = take(B * c.n_head * T);
  a.x_mid = take(N * C);
  a.norm2 = take(OperandFloats(N * C, p));
  a.norm2_mean = take(N);
  a.norm2_rstd = take(N);
  a.up = take(N * UpRows(c));
  a.act = take(OperandFloats(N * c.intermediate, p));
  return a;
}

int64_t BlockGradScratchSize(const ModelConfig& c, int64_t B, int64_t T) {
  const int64_t N = B * T;
  return Pad(N * c.hidden) + Pad(N * c.qkv_dim()) + Pad(N * c.n_head * c.head_dim()) +
         Pad(N * UpRows(c)) + Pad(N * c.intermediate);
}

BlockGradScratch BlockGradScratchAt(const ModelConfig& c, int64_t B, int64_t T, float* mem) {
  const int64_t N = B * T;
  auto take = [&](int64_t n) {
    float* p = mem;
    mem += Pad(n);
    return p;
  };
  BlockGradScratch s;
  s.dnorm = take(N * c.hidden);
  s.dqkv = take(N * c.qkv_dim());
  s.dattn = take(N * c.n_head * c.head_dim());
  s.dup = take(N * UpRows(c));
  s.dact = take(N * c.intermediate);
  return s;
}

void NormForward(const ModelConfig& c, float* out, float* mean, float* rstd, const float* inp,
                 const float* w, const float* b, int64_t N, ResidualAdd residual) {
  PROFILE_SCOPE("norm forward");
  const float eps = static_cast<float>(c.norm_eps);
  if (c.arch.norm == NormKind::kLayerNorm)
    LayerNormForward(out, mean, rstd, inp, w, b, N, c.hidden, eps, residual);
  else
    RmsNormForward(out, rstd, inp, w, N, c.hidden, eps, residual);
}

void NormBackward(const ModelConfig& c, float* dinp, float* dw, float* db, const float* dout,
                  const float* inp, const float* w, const float* mean, const float* rstd,
                  int64_t N) {
  PROFILE_SCOPE("norm backward");
  if (c.arch.norm == NormKind::kLayerNorm)
    LayerNormBackward(dinp, dw, db, dout, inp, w, mean, rstd, N, c.hidden);
  else
    RmsNormBackward(dinp, dw, dout, inp, w, rstd, N, c.hidden);
}

void NormForwardOperand(const LowpContext* lp, const ModelConfig& c, float* out, float* mean, float* rstd,
                        const float* inp, const float* w, const float* b, int64_t N, ResidualAdd residual) {
  if (!IsLowp(lp)) return NormForward(c, out, mean, rstd, inp, w, b, N, residual);
  PROFILE_SCOPE("norm forward");
  uint16_t* out16 = reinterpret_cast<uint16_t*>(out);
  const float eps = static_cast<float>(c.norm_eps);
  if (c.arch.norm == NormKind::kLayerNorm)
    LayerNormForwardLowp(lp->precision, out16, mean, rstd, inp, w, b, N, c.hidden, eps, residual);
  else
    RmsNormForwardLowp(lp->precision, out16, rstd, inp, w, N, c.hidden, eps, residual);
}

void ActivationForwardOperand(const LowpContext* lp, const ModelConfig& c, float* act, const float* up,
                              int64_t N) {
  PROFILE_SCOPE("activation forward");
  const int64_t I = c.intermediate;
  const bool swiglu = c.arch.mlp == MlpKind::kSwiGlu;
  if (!IsLowp(lp)) {
    if (swiglu)
      SwiGluForward(act, up, N, I);
    else
      GeluForward(act, up, N * I);
    return;
  }
  uint16_t* act16 = reinterpret_cast<uint16_t*>(act);
  if (swiglu)
    SwiGluForwardLowp(lp->precision, act16, up, N, I);
  else
    GeluForwardLowp(lp->precision, act16, up, N * I);
}

LinearOperand ActivationBackwardOperand(const LowpContext* lp, const ModelConfig& c, float* dup, float* dup_bias,
                                        const float* dact, const float* up, int64_t N) {
  PROFILE_SCOPE("activation backward");
  const int64_t I = c.intermediate;
  const bool swiglu = c.arch.mlp == MlpKind::kSwiGlu;
  if (!IsLowp(lp)) {
    if (swiglu)
      SwiGluBackward(dup, dact, up, N, I);
    else
      GeluBackward(dup, dact, up, N * I);
    return LinearOperand{dup};
  }
  CHECK(N * UpRows(c) <= lp->dy_halves);
  if (swiglu)
    SwiGluBackwardLowp(lp->precision, lp->dy, dup_bias, dact, up, N, I);
  else
    GeluBackwardLowp(lp->precision, lp->dy, dup_bias, dact, up, N, I);
  return LinearOperand{nullptr, lp->dy};
}

void BlockAttnInForward(const BlockContext& ctx, const BlockParams& w, const BlockActs& a) {
  const ModelConfig& c = *ctx.config;
  const int64_t N = ctx.B * ctx.T, C = c.hidden;
  NormForwardOperand(ctx.lowp, c, a.norm1, a.norm1_mean, a.norm1_rstd, a.x_in, w.norm1_w, w.norm1_b, N);
  LinearForward(ctx.lowp, a.qkv, Operand(ctx.lowp, a.norm1), w.qkv_w, w.qkv_b, N, C, c.qkv_dim());
  if (c.arch.position == PositionKind::kRope) {
    PROFILE_SCOPE("rope");
    // q heads and k heads are adjacent in each qkv row: rotate them in one call.
    RopeForward(a.qkv, N, c.n_head + c.n_kv_head, c.head_dim(), c.qkv_dim(), ctx.pos, *ctx.rope);
  }
}

void BlockAttnOutForward(const BlockContext& ctx, const BlockParams& w, const BlockActs& a,
                         float* x_out) {
  const ModelConfig& c = *ctx.config;
  const int64_t N = ctx.B * ctx.T, C = c.hidden, HD = c.n_head * c.head_dim();
  const int64_t I = c.intermediate, up_rows = UpRows(c);
  LinearForward(ctx.lowp, a.x_mid, LinearOperand{a.attn}, w.out_w, RowParallelBias(ctx, w.out_b), N, HD, C);
  TpSum(ctx, a.x_mid, N * C);
  // x_mid += x_in, fused into the norm that reads it.
  NormForwardOperand(ctx.lowp, c, a.norm2, a.norm2_mean, a.norm2_rstd, a.x_mid, w.norm2_w, w.norm2_b, N,
                     ResidualAdd{a.x_in, a.x_mid});
  LinearForward(ctx.lowp, a.up, Operand(ctx.lowp, a.norm2), w.up_w, w.up_b, N, C, up_rows);
  ActivationForwardOperand(ctx.lowp, c, a.act, a.up, N);
  LinearForward(ctx.lowp, x_out, Operand(ctx.lowp, a.act), w.down_w, RowParallelBias(ctx, w.down_b), N, I, C);
  TpSum(ctx, x_out, N * C);
  PROFILE_SCOPE("residual add");
  Add(x_out, x_out, a.x_mid, N * C);
}

void BlockForward(const BlockContext& ctx, const BlockParams& w, const BlockActs& a, float* x_out) {
  const ModelConfig& c = *ctx.config;
  const int64_t HD = c.n_head * c.head_dim();
  BlockAttnInForward(ctx, w, a);
  const AttentionShape s = AttnShape(ctx);
  const float* q = a.qkv;
  const float* k = q + HD;
  const float* v = k + c.n_kv_head * c.head_dim();
  {
    PROFILE_SCOPE("attention forward");
    AttentionForward(s, a.attn, a.lse, q, k, v, ctx.doc, ctx.stats);
  }
  BlockAttnOutForward(ctx, w, a, x_out);
}

void BlockBackward(const BlockContext& ctx, const BlockParams& w, const BlockParams& g,
                   const BlockActs& a, const BlockGradScratch& s, float* dresid) {
  const ModelConfig& c = *ctx.config;
  const int64_t N = ctx.B * ctx.T, C = c.hidden, HD = c.n_head * c.head_dim();
  const int64_t I = c.intermediate, up_rows = UpRows(c);

  // MLP: x_out = x_mid + Down(Act(Up(Norm2(x_mid)))); dresid holds d x_out.
  LinearBackward(ctx.lowp, s.dact, g.down_w, g.down_b, LinearOperand{dresid}, Operand(ctx.lowp, a.act), w.down_w, N, I, C);
  const LinearOperand dup = ActivationBackwardOperand(ctx.lowp, c, s.dup, g.up_b, s.dact, a.up, N);
  LinearBackward(ctx.lowp, s.dnorm, g.up_w, ActivationBackwardBias(dup, g.up_b), dup, Operand(ctx.lowp, a.norm2), w.up_w, N, C, up_rows);
  TpSum(ctx, s.dnorm, N * C);
  NormBackward(c, dresid, g.norm2_w, g.norm2_b, s.dnorm, a.x_mid, w.norm2_w, a.norm2_mean,
               a.norm2_rstd, N);  // dresid now holds d x_mid

  // Attention: x_mid = x_in + Out(Attn(...)).
  LinearBackward(ctx.lowp, s.dattn, g.out_w, g.out_b, LinearOperand{dresid}, LinearOperand{a.attn}, w.out_w, N, HD, C);
  const AttentionShape as = AttnShape(ctx);
  const int64_t kv = c.n_kv_head * c.head_dim();
  const float* q = a.qkv;
  {
    PROFILE_SCOPE("attention backward");
    AttentionBackward(as, s.dqkv, s.dqkv + HD, s.dqkv + HD + kv, s.dattn, a.attn, a.lse, q, q + HD,
                      q + HD + kv, ctx.doc, nullptr);
  }
  if (c.arch.position == PositionKind::kRope) {
    PROFILE_SCOPE("rope");
    RopeBackward(s.dqkv, N, c.n_head + c.n_kv_head, c.head_dim(), c.qkv_dim(), ctx.pos, *ctx.rope);
  }
  LinearBackward(ctx.lowp, s.dnorm, g.qkv_w, g.qkv_b, LinearOperand{s.dqkv}, Operand(ctx.lowp, a.norm1), w.qkv_w, N, C,
                 c.qkv_dim());
  TpSum(ctx, s.dnorm, N * C);
  NormBackward(c, dresid, g.norm1_w, g.norm1_b, s.dnorm, a.x_in, w.norm1_w, a.norm1_mean,
               a.norm1_rstd, N);  // dresid now holds d x_in
}

}  // namespace seek
