#include "model/recompute.h"

#include "kernels/activations.h"

namespace seek {
namespace {

int64_t Pad(int64_t n) { return (n + 15) / 16 * 16; }  // 64-byte aligned pieces, as block.cc

// Hands out consecutive 64-byte aligned pieces of one float array.
class Carver {
 public:
  explicit Carver(float* mem) : mem_(mem) {}
  float* Take(int64_t n) {
    float* p = mem_;
    if (mem_) mem_ += Pad(n);
    size_ += Pad(n);
    return p;
  }
  int64_t size() const { return size_; }

 private:
  float* mem_;  // null: only count
  int64_t size_ = 0;
};

// The one place that decides which piece is kept and which is recomputed:
// sizes and pointers both come from here, so they cannot disagree.
BlockActs Carve(const ModelConfig& c, int64_t B, int64_t T, Precision p, Recompute mode, Carver& kept,
                Carver& work) {
  const int64_t N = B * T, C = c.hidden;
  const bool full = mode == Recompute::kFull;
  // Selective drops the pieces that are large but cost no GEMM to rebuild.
  Carver& cheap = mode == Recompute::kNone ? kept : work;
  Carver& rest = full ? work : kept;
  BlockActs a;
  a.x_in = kept.Take(N * C);  // always kept: the checkpoint itself
  a.norm1 = cheap.Take(OperandFloats(N * C, p));
  a.norm1_mean = rest.Take(N);
  a.norm1_rstd = rest.Take(N);
  a.qkv = rest.Take(N * c.qkv_dim());
  a.attn = rest.Take(N * c.n_head * c.head_dim());
  a.lse = rest.Take(B * c.n_head * T);
  a.x_mid = rest.Take(N * C);
  a.norm2 = cheap.Take(OperandFloats(N * C, p));
  a.norm2_mean = rest.Take(N);
  a.norm2_rstd = rest.Take(N);
  a.up = rest.Take(N * UpRows(c));
  a.act = cheap.Take(OperandFloats(N * c.intermediate, p));
  return a;
}

}  // namespace

int64_t CheckpointedActsSize(const ModelConfig& c, int64_t B, int64_t T, Precision p, Recompute mode) {
  Carver kept(nullptr), work(nullptr);
  Carve(c, B, T, p, mode, kept, work);
  return kept.size();
}

int64_t RecomputeWorkspaceSize(const ModelConfig& c, int64_t B, int64_t T, Precision p, Recompute mode) {
  Carver kept(nullptr), work(nullptr);
  Carve(c, B, T, p, mode, kept, work);
  return work.size();
}

BlockActs CheckpointedActsAt(const ModelConfig& c, int64_t B, int64_t T, Precision p, Recompute mode,
                             float* kept, float* workspace) {
  Carver k(kept), w(workspace);
  return Carve(c, B, T, p, mode, k, w);
}

void RecomputeBlock(const BlockContext& ctx, const BlockParams& w, const BlockActs& a,
                    Recompute mode, float* x_out) {
  const ModelConfig& c = *ctx.config;
  const int64_t N = ctx.B * ctx.T;
  switch (mode) {
    case Recompute::kNone:
      return;
    case Recompute::kFull:
      // The same call as in forward, on the same kept x_in: bitwise the same
      // activations. It also rewrites x_out (the next block's kept input, or
      // the final hidden state), identically, after backward has used it.
      BlockForward(ctx, w, a, x_out);
      return;
    case Recompute::kSelective:
      // The norms rewrite their kept mean/rstd with identical values: the
      // calls are BlockAttnInForward's and BlockAttnOutForward's, less the
      // latter's residual add, whose sum x_mid already holds.
      NormForwardOperand(ctx.lowp, c, a.norm1, a.norm1_mean, a.norm1_rstd, a.x_in, w.norm1_w, w.norm1_b, N);
      NormForwardOperand(ctx.lowp, c, a.norm2, a.norm2_mean, a.norm2_rstd, a.x_mid, w.norm2_w, w.norm2_b, N);
      ActivationForwardOperand(ctx.lowp, c, a.act, a.up, N);
      return;
  }
}

}  // namespace seek
