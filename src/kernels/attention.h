// kernels/attention.h — fused causal attention with document masks; f32 data, f32 or bf16 products.
//
// Flash-attention style: queries and keys are processed in tiles with an
// online softmax, so the full [Tq, Tk] score matrix is never materialised.
// Masking: query i of a sequence sits at absolute position p = Tk - Tq + i
// (Tq == Tk in training; Tq < Tk when a few new queries attend to a longer
// key/value cache in inference). Key j is visible to query i iff j <= p and
// j lies in the same document as p. A document is a maximal run of equal ids
// in doc[b, :]. Tiles whose every (query, key) pair is masked are skipped
// without computing anything; AttentionStats counts them.
// Grouped-query attention: n_head query heads share n_kv_head key/value heads
// (query head h reads kv head h / (n_head / n_kv_head)).
// Threading: each call spreads itself over the OpenMP threads and keeps no
// state between calls. Forward runs over (batch, head, query tile).
// Backward needs no atomics: each thread owns whole dk/dv key tiles and whole
// dq rows, and every sum is taken in a fixed order, so gradients are bitwise
// the same for any thread count and from run to run.
// Work: query tile t (kAttentionQueryTile rows, absolute positions
// [p_lo, p_hi]) visits key tiles from the one holding doc_start(p_lo) to the
// one holding p_hi. The union of the visible keys of the tile is exactly that
// range, so every visited pair has a visible (query, key) and the work is
// proportional to the unmasked area: d equal documents of a length-T sequence
// cost about T^2 / (2 d) score entries, not T^2 / 2.
#pragma once

#include <cstdint>

namespace seek {

// Queries and keys per tile. Tiles are aligned to query row 0 and key 0.
inline constexpr int64_t kAttentionQueryTile = 64;
inline constexpr int64_t kAttentionKeyTile = 64;

struct AttentionShape {
  int64_t batch = 1;      // B
  int64_t n_q = 0;        // Tq, queries per sequence
  int64_t n_kv = 0;       // Tk >= Tq, keys per sequence
  int64_t n_head = 1;     // H query heads
  int64_t n_kv_head = 1;  // KVH, divides H
  int64_t head_dim = 0;   // D
  // Floats between consecutive tokens' rows; 0 means dense (H*D for q and out,
  // KVH*D for k and v). Lets q, k, v live inside one fused QKV buffer.
  int64_t q_stride = 0, k_stride = 0, v_stride = 0, o_stride = 0;
  float scale = 0;  // 0 means 1/sqrt(D)
  // bf16 products (mixed precision): every product of two tensors (Q K^T,
  // P V and the five of backward) multiplies bf16-rounded operands and sums
  // in f32, as PyTorch's bf16 autocast does; the softmax, lse, D_i and all
  // outputs stay f32. Scores round scale * q, backward rounds P and
  // G = P (dP - D_i). Needs an even head_dim (else the products stay f32).
  bool bf16 = false;
};

// Tile pairs of one call, summed over batch rows and query heads (backward
// reports the same numbers as forward). A pair is in the causal region when
// the key tile starts at or before the last query position of the query tile.
struct AttentionStats {
  int64_t tiles_total = 0;     // (query tile, key tile) pairs in the causal region
  int64_t tiles_computed = 0;  // pairs with at least one visible (query, key)
  int64_t tiles_skipped = 0;   // pairs the mask covers entirely: total - computed
};

// q: [B, Tq, H, D]; k, v: [B, Tk, KVH, D] (row strides as in AttentionShape);
// doc: [B, Tk] int32, or null for one document per sequence (query i has the
// document of position Tk - Tq + i).
// out: [B, Tq, H, D] (o_stride); lse: [B, H, Tq] log-sum-exp of the scaled
// scores, saved for backward (rows with no visible key: out = 0, lse = -inf;
// this cannot happen causally since every query sees itself).
void AttentionForward(const AttentionShape& s, float* out, float* lse, const float* q,
                      const float* k, const float* v, const int32_t* doc,
                      AttentionStats* stats = nullptr);
// dq: like q, dk and dv: like k and v (same strides); all OVERWRITTEN, keys
// no query sees included (they get 0). Only the D floats of each head row are
// written, so the three may live in one fused dQKV buffer.
// dout, out: [B, Tq, H, D] (o_stride); lse from forward.
// Scratch: each thread keeps packed q, dout and dq of the query heads of one
// kv head (about 3 * Tq * (H / KVH) * D floats, up to 64 MiB); past that, or
// with fewer (batch, kv head) items than 4 per thread, q and dout are packed
// once for the call (2 * B * Tq * H * D floats) instead.
void AttentionBackward(const AttentionShape& s, float* dq, float* dk, float* dv, const float* dout,
                       const float* out, const float* lse, const float* q, const float* k,
                       const float* v, const int32_t* doc, AttentionStats* stats = nullptr);

// Reference twins: materialise the full score matrix per (b, h), plain loops,
// double accumulation; with s.bf16 they round the same operands to bf16.
void AttentionForwardRef(const AttentionShape& s, float* out, float* lse, const float* q,
                         const float* k, const float* v, const int32_t* doc);
void AttentionBackwardRef(const AttentionShape& s, float* dq, float* dk, float* dv,
                          const float* dout, const float* out, const float* lse, const float* q,
                          const float* k, const float* v, const int32_t* doc);

}  // namespace seek
