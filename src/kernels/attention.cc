// kernels/attention.cc — tiled flash attention, forward and backward, CPU; f32 data, f32 or bf16 products.
//
// Scores are computed transposed, S^T[key j, query i], for one (key tile,
// query tile) pair at a time:
//   S^T = K Q^T   K rows are read in place (one broadcast scalar per FMA) and
//                 Q^T is a [D, kQ] pack, so the 16-wide vectors run over queries;
//   the online softmax of each query is then elementwise over vectors of 16
//   queries (running max, sum) with no horizontal reductions;
//   O += P V      P^T is read as a transposed A operand, V rows in place.
// Backward reuses the layout: S^T and dP^T = V dO^T as above, G = P (dP - D_i),
// then dV += P^T dO, dK += G^T Q, dQ += G K, all with B operands in place.
// Every product goes through one register-blocked micro-kernel
// (attention_tile.h).
// B operands need rows whose width is a multiple of 16; when head_dim is not,
// they are first copied into a zero-padded buffer.
// bf16 products (AttentionShape::bf16) keep this structure and these
// layouts, with operands packed as bf16 pairs (attention_tile_bf16.h): K and
// V once per call, as rows (A operands) and as lane pairs (B operands), each
// query tile's Q^T and dO^T transposed, and P^T, G^T of each pair as rows or
// lane pairs for the product that reads them.
#include "kernels/attention.h"

#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "core/aligned.h"
#include "core/check.h"
#include "kernels/attention_tile.h"
#include "kernels/attention_tile_bf16.h"

// BackwardPair must be one body for both schedules (see there).
#if defined(__clang__)
#define SEEK_ONE_BODY __attribute__((noinline))
#else
#define SEEK_ONE_BODY __attribute__((noipa))
#endif

namespace seek {
namespace {

using attention_tile::Bf16Ops;
using attention_tile::Exp;
using attention_tile::I16;
using attention_tile::kK;
using attention_tile::kLanes;
using attention_tile::kQ;
using attention_tile::Load;
using attention_tile::LoadI;
using attention_tile::Max;
using attention_tile::PackRow;
using attention_tile::PackRowPair;
using attention_tile::PackRows;
using attention_tile::PackTransposed;
using attention_tile::PackTransposedPairs;
using attention_tile::PairRows;
using attention_tile::RoundUp16;
using attention_tile::RowRanges;
using attention_tile::Splat;
using attention_tile::Store;
using attention_tile::TileGemm;
using attention_tile::TileMask;
using attention_tile::V16;

constexpr float kInf = std::numeric_limits<float>::infinity();

// Uninitialised aligned floats, for buffers that are written before they are
// read (AlignedBuffer zero-fills, which costs a pass over memory).
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Floats = std::unique_ptr<float[], FreeDeleter>;
using Words = std::unique_ptr<uint32_t[], FreeDeleter>;  // bf16 pairs
void* NewBytes(int64_t n) {
  const size_t bytes = (static_cast<size_t>(n) * 4 + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, std::max<size_t>(bytes, kAlignment));
  CHECK(p != nullptr);
  return p;
}
Floats NewFloats(int64_t n) { return Floats(static_cast<float*>(NewBytes(n))); }
Words NewWords(int64_t n) { return Words(static_cast<uint32_t*>(NewBytes(n))); }

// Rows of a [B * T, heads, D]-like tensor: head h of row r is at p + r * row + h * head.
struct Rows {
  const float* p;
  int64_t row, head;
  const float* At(int64_t r, int64_t h) const { return p + r * row + h * head; }
};

// The tensor itself when D is a multiple of 16, else a copy with each head
// zero-padded to dp floats, so it can be a B operand of TileGemm.
Rows PaddedRows(const float* src, int64_t rows, int64_t heads, int64_t d, int64_t stride,
                int64_t dp, AlignedBuffer& store) {
  if (d == dp) return Rows{src, stride, d};
  store = AlignedBuffer(static_cast<size_t>(rows * heads * dp) * sizeof(float));
  float* dst = static_cast<float*>(store.data());
#pragma omp parallel for schedule(static) if (rows * heads * d >= (1 << 16))
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < heads; ++h)
      std::memcpy(dst + (r * heads + h) * dp, src + r * stride + h * d, d * sizeof(float));
  return Rows{dst, heads * dp, dp};
}

// One query tile of one sequence: rows [q0, q0 + qn), absolute positions
// [p_lo, p_hi], key tiles [kt_lo, kt_hi] (all of them hold a visible key).
struct QueryTile {
  int64_t q0, qn, p_lo, p_hi, kt_lo, kt_hi;
};

// Shape, strides and document starts shared by forward and backward.
struct Plan {
  int64_t B, Tq, Tk, H, KVH, G, D, dp, nqt, nkt;
  bool bf16;   // bf16 products
  int64_t dh;  // words (bf16 pairs) of a head row: D / 2
  int64_t qs, ks, vs, os;
  float scale;
  std::vector<int32_t> doc_start;  // [B, Tk] first position of each position's document

  Plan(const AttentionShape& s, const int32_t* doc)
      : B(s.batch), Tq(s.n_q), Tk(s.n_kv), H(s.n_head), KVH(s.n_kv_head), D(s.head_dim) {
    CHECK(B >= 0 && Tq >= 0 && Tk >= Tq && Tk < INT_MAX && D > 0);
    CHECK(KVH > 0 && H % KVH == 0);
    G = H / KVH;
    dp = RoundUp16(D);
    bf16 = s.bf16 && D % 2 == 0;
    dh = D / 2;
    nqt = (Tq + kQ - 1) / kQ;
    nkt = (Tk + kK - 1) / kK;
    qs = s.q_stride ? s.q_stride : H * D;
    ks = s.k_stride ? s.k_stride : KVH * D;
    vs = s.v_stride ? s.v_stride : KVH * D;
    os = s.o_stride ? s.o_stride : H * D;
    CHECK(qs >= H * D && ks >= KVH * D && vs >= KVH * D && os >= H * D);
    scale = s.scale != 0 ? s.scale : 1.0f / std::sqrt(static_cast<float>(D));
    doc_start.assign(B * Tk, 0);
    if (doc == nullptr) return;
    for (int64_t b = 0; b < B; ++b) {
      const int32_t* id = doc + b * Tk;
      int32_t* ds = doc_start.data() + b * Tk;
      for (int64_t j = 1; j < Tk; ++j) ds[j] = id[j] == id[j - 1] ? ds[j - 1] : j;
    }
  }

  QueryTile Query(int64_t b, int64_t qt) const {
    QueryTile t;
    t.q0 = qt * kQ;
    t.qn = std::min(kQ, Tq - t.q0);
    t.p_lo = Tk - Tq + t.q0;
    t.p_hi = t.p_lo + t.qn - 1;
    // doc_start is non-decreasing, so the tile's earliest visible key is that of p_lo.
    t.kt_lo = doc_start[b * Tk + t.p_lo] / kK;
    t.kt_hi = t.p_hi / kK;
    return t;
  }

  // True when every (query, key) pair of the tiles is visible.
  bool Full(int64_t b, const QueryTile& t, int64_t k0, int64_t kn) const {
    return doc_start[b * Tk + t.p_hi] <= k0 && k0 + kn - 1 <= t.p_lo;
  }

  AttentionStats Stats() const {
    AttentionStats st;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t qt = 0; qt < nqt; ++qt) {
        QueryTile t = Query(b, qt);
        st.tiles_total += H * (t.p_hi / kK + 1);
        st.tiles_computed += H * (t.kt_hi - t.kt_lo + 1);
      }
    st.tiles_skipped = st.tiles_total - st.tiles_computed;
    return st;
  }

  // Worth waking the other threads for: over ~1M multiply-adds of tile work
  // (fork and join cost microseconds, much more when cores are shared).
  bool Parallel(const AttentionStats& st) const {
    const int64_t rows = std::min(Tq, kQ);
    return st.tiles_computed * rows * std::min(Tk, kK) * D >= (int64_t{1} << 20);
  }
};

// bf16 K and V (bf16 products) in blocks of one (batch row, kv head):
// either every block of the call, packed once for all its tiles, or one
// block at a time in thread scratch (Pack), which then stays in cache for
// the products that read it.
struct KvPack {
  Words buf;
  int64_t Tk = 0, KVH = 0, dh = 0, dp = 0, pairs = 0;
  bool backward = false, one_block = false;
  uint32_t *k_rows = nullptr, *v_rows = nullptr;    // [block, Tk, dh]: A operands, a_rs = dh
  uint32_t *k_pairs = nullptr, *v_pairs = nullptr;  // [block, ceil(Tk / 2), dp]: B operands, ldb = dp

  // Forward reads K rows and V pairs, backward K rows, V rows and K pairs.
  // Room for every block of the call, or (one_block) for one.
  KvPack(const Plan& pl, bool backward, bool one_block)
      : Tk(pl.Tk), KVH(pl.KVH), dh(pl.dh), dp(pl.dp), pairs((pl.Tk + 1) / 2),
        backward(backward), one_block(one_block) {
    if (!pl.bf16) return;
    const int64_t blocks = one_block ? 1 : pl.B * pl.KVH;
    const int64_t nr = blocks * Tk * dh, np = blocks * pairs * dp;
    buf = NewWords(nr + np + (backward ? nr : 0));
    k_rows = buf.get();
    (backward ? k_pairs : v_pairs) = k_rows + nr;
    if (backward) v_rows = k_pairs + np;
  }
  // Every block of the call.
  void PackAll(const Plan& pl, const float* k, const float* v, bool parallel) {
    if (!pl.bf16) return;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t it = 0; it < pl.B * pl.KVH; ++it) Pack(pl, k, v, it / pl.KVH, it % pl.KVH);
  }
  // Block (b, h): into its place, or into the one block.
  void Pack(const Plan& pl, const float* k, const float* v, int64_t b, int64_t h) {
    const int64_t x = Block(b, h);
    const float* kb = k + b * Tk * pl.ks + h * pl.D;
    const float* vb = v + b * Tk * pl.vs + h * pl.D;
    for (int64_t j = 0; j < Tk; ++j) {
      PackRow(kb + j * pl.ks, pl.D, 1.0f, k_rows + (x * Tk + j) * dh);
      if (backward) PackRow(vb + j * pl.vs, pl.D, 1.0f, v_rows + (x * Tk + j) * dh);
    }
    const float* src = backward ? kb : vb;
    const int64_t stride = backward ? pl.ks : pl.vs;
    uint32_t* dst = (backward ? k_pairs : v_pairs) + x * pairs * dp;
    for (int64_t p = 0; p < pairs; ++p) {
      const float* lo = src + 2 * p * stride;
      PackRowPair(lo, 2 * p + 1 < Tk ? lo + stride : nullptr, pl.D, dp, dst + p * dp);
    }
  }
  int64_t Block(int64_t b, int64_t h) const { return one_block ? 0 : b * KVH + h; }
  // From key j of sequence b, kv head h (j even for pairs).
  const uint32_t* KRows(int64_t b, int64_t h, int64_t j) const {
    return k_rows + (Block(b, h) * Tk + j) * dh;
  }
  const uint32_t* VRows(int64_t b, int64_t h, int64_t j) const {
    return v_rows + (Block(b, h) * Tk + j) * dh;
  }
  const uint32_t* KPairs(int64_t b, int64_t h, int64_t j) const {
    return k_pairs + (Block(b, h) * pairs + j / 2) * dp;
  }
  const uint32_t* VPairs(int64_t b, int64_t h, int64_t j) const {
    return v_pairs + (Block(b, h) * pairs + j / 2) * dp;
  }
};

struct ForwardScratch {
  AlignedBuffer buf;
  float *qt, *st, *o;  // [D, kQ] scaled Q^T; [kK, kQ] S^T then P^T; [kQ, dp] output
  // bf16 products: [dh, kQ] scaled Q^T pairs, their [kQ, dh] rows, [kK / 2, kQ] P^T lane pairs
  uint32_t *qtb, *qrows, *pp;
  alignas(64) float m[kQ], l[kQ], alpha[kQ];
  TileMask mask;
  explicit ForwardScratch(const Plan& pl)
      : buf(sizeof(float) * (pl.D * kQ + kK * kQ + kQ * pl.dp + 2 * pl.dh * kQ + kK / 2 * kQ)) {
    qt = static_cast<float*>(buf.data());
    st = qt + pl.D * kQ;
    o = st + kK * kQ;
    qtb = reinterpret_cast<uint32_t*>(o + kQ * pl.dp);
    qrows = qtb + pl.dh * kQ;
    pp = qrows + pl.dh * kQ;
  }
};

void ForwardTile(const Plan& pl, int64_t b, int64_t h, int64_t qt, const float* q, const Rows& k,
                 const Rows& v, const KvPack& kv, float* out, float* lse, ForwardScratch& w) {
  const QueryTile t = pl.Query(b, qt);
  const int64_t nq = RoundUp16(t.qn), kvh = h / pl.G, dp = pl.dp;
  const float* q_rows = q + (b * pl.Tq + t.q0) * pl.qs + h * pl.D;
  if (pl.bf16)
    PackTransposedPairs(q_rows, pl.qs, t.qn, pl.D, pl.scale, w.qrows, w.qtb, kQ);
  else
    PackTransposed(q_rows, pl.qs, t.qn, pl.D, pl.scale, w.qt, kQ);
  w.mask.SetQueries(&pl.doc_start[b * pl.Tk + t.p_lo], t.p_lo, t.qn);
  std::fill(w.o, w.o + t.qn * dp, 0.0f);
  std::fill(w.m, w.m + kQ, -kInf);
  std::fill(w.l, w.l + kQ, 0.0f);
  for (int64_t kt = t.kt_lo; kt <= t.kt_hi; ++kt) {
    const int64_t k0 = kt * kK, kn = std::min(kK, pl.Tk - k0);
    // A partly masked pair computes only the blocks holding visible pairs.
    const bool full = pl.Full(b, t, k0, kn);
    if (!full) w.mask.SetKeys(k0, kn, t.qn);
    const RowRanges by_key = full ? RowRanges{} : w.mask.ByKey();
    const RowRanges by_query = full ? RowRanges{} : w.mask.ByQuery();
    if (pl.bf16)
      TileGemm<Bf16Ops>(kn, nq, pl.D, kv.KRows(b, kvh, k0), pl.dh, 1, w.qtb, kQ,
                        w.st, kQ, false, {}, by_key);
    else
      TileGemm(kn, nq, pl.D, k.At(b * pl.Tk + k0, kvh), k.row, 1, w.qt, kQ, w.st, kQ, false, {},
               by_key);
    if (!full) w.mask.Apply(w.st, kn, nq, k0);
    for (int64_t i = 0; i < nq; i += kLanes) {
      V16 mx = Splat(-kInf);
      for (int64_t j = 0; j < kn; ++j) mx = Max(mx, Load(w.st + j * kQ + i));
      const V16 m_old = Load(w.m + i), m_new = Max(m_old, mx);
      // A column with nothing visible yet keeps P = 0 instead of exp(-inf + inf).
      const V16 m_use = m_new == Splat(-kInf) ? V16{} : m_new;
      const V16 alpha = Exp(m_old - m_use);
      V16 sum{};
      for (int64_t j = 0; j < kn; ++j) {
        V16 p = Exp(Load(w.st + j * kQ + i) - m_use);
        Store(w.st + j * kQ + i, p);
        sum += p;
      }
      Store(w.l + i, Load(w.l + i) * alpha + sum);
      Store(w.m + i, m_new);
      Store(w.alpha + i, alpha);
    }
    for (int64_t i = 0; i < t.qn; ++i) {
      if (w.alpha[i] == 1.0f) continue;
      for (int64_t c = 0; c < dp; ++c) w.o[i * dp + c] *= w.alpha[i];
    }
    if (pl.bf16) {
      PairRows(w.st, kn, nq, kQ, w.pp);
      TileGemm<Bf16Ops>(t.qn, dp, kn, w.pp, 1, kQ, kv.VPairs(b, kvh, k0), dp, w.o, dp, true,
                        by_query);
    } else {
      TileGemm(t.qn, dp, kn, w.st, 1, kQ, v.At(b * pl.Tk + k0, kvh), v.row, w.o, dp, true,
               by_query);
    }
  }
  for (int64_t i = 0; i < t.qn; ++i) {
    const float inv = w.l[i] > 0 ? 1.0f / w.l[i] : 0.0f;
    float* dst = out + (b * pl.Tq + t.q0 + i) * pl.os + h * pl.D;
    for (int64_t c = 0; c < pl.D; ++c) dst[c] = w.o[i * dp + c] * inv;
    lse[(b * pl.H + h) * pl.Tq + t.q0 + i] = w.l[i] > 0 ? w.m[i] + std::log(w.l[i]) : -kInf;
  }
}

// Query tiles packed for backward, tile index x: Q^T (scaled) and dO^T as
// [x, D, kQ]; lse and D_i = rowsum(dout * out) as [x, kQ], 0 in padding.
// With bf16 products, instead of Q^T and dO^T: their pairs as [x, dh, kQ]
// (qtb, dotb) and the lane pairs of Q and dO rows as [x, kQ / 2, dp] (qp, dop).
struct QueryPack {
  float *qt = nullptr, *dot = nullptr, *lse, *di;
  uint32_t *qtb = nullptr, *dotb = nullptr, *qp = nullptr, *dop = nullptr;
  int64_t tb = 0, pb = 0;  // words of one tile's qtb and qp
  static int64_t TileFloats(const Plan& pl) {
    return 2 * kQ + (pl.bf16 ? 2 * pl.dh * kQ + kQ * pl.dp : 2 * pl.D * kQ);
  }
  static int64_t Floats(const Plan& pl, int64_t tiles) { return tiles * TileFloats(pl); }
  QueryPack(const Plan& pl, float* p, int64_t tiles) {
    lse = p;
    di = lse + tiles * kQ;
    float* rest = di + tiles * kQ;
    if (!pl.bf16) {
      qt = rest;
      dot = qt + tiles * pl.D * kQ;
      return;
    }
    tb = pl.dh * kQ, pb = kQ / 2 * pl.dp;
    qtb = reinterpret_cast<uint32_t*>(rest);
    dotb = qtb + tiles * tb;
    qp = dotb + tiles * tb;
    dop = qp + tiles * pb;
  }
};

// Inputs of the backward pass.
struct BackwardCtx {
  const float *q, *k, *v, *dout, *out, *lse;  // the caller's tensors
  Rows q_b, dout_b, k_b;                      // q, dout, k as B operands (maybe padded; f32)
};

// tmp: kQ * dh words of scratch (bf16 products).
void PackQueryTile(const Plan& pl, const BackwardCtx& c, int64_t b, int64_t h, int64_t qt,
                   const QueryPack& pk, int64_t x, uint32_t* tmp) {
  const QueryTile t = pl.Query(b, qt);
  const int64_t row = b * pl.Tq + t.q0, D = pl.D;
  const float* q = c.q + row * pl.qs + h * D;
  const float* dout = c.dout + row * pl.os + h * D;
  if (pl.bf16) {
    PackTransposedPairs(q, pl.qs, t.qn, D, pl.scale, tmp, pk.qtb + x * pk.tb, kQ);
    PackTransposedPairs(dout, pl.os, t.qn, D, 1.0f, tmp, pk.dotb + x * pk.tb, kQ);
    for (int64_t p = 0; p < kQ / 2; ++p) {
      const int64_t i = 2 * p;
      const bool lo = i < t.qn, hi = i + 1 < t.qn;
      PackRowPair(lo ? q + i * pl.qs : nullptr, hi ? q + (i + 1) * pl.qs : nullptr, D, pl.dp,
                  pk.qp + x * pk.pb + p * pl.dp);
      PackRowPair(lo ? dout + i * pl.os : nullptr, hi ? dout + (i + 1) * pl.os : nullptr, D, pl.dp,
                  pk.dop + x * pk.pb + p * pl.dp);
    }
  } else {
    PackTransposed(q, pl.qs, t.qn, D, pl.scale, pk.qt + x * D * kQ, kQ);
    PackTransposed(dout, pl.os, t.qn, D, 1.0f, pk.dot + x * D * kQ, kQ);
  }
  for (int64_t i = 0; i < t.qn; ++i) {
    const float* o = c.out + (row + i) * pl.os + h * D;
    const float* g = c.dout + (row + i) * pl.os + h * D;
    V16 acc{};
    int64_t d = 0;
    for (; d + kLanes <= D; d += kLanes) acc += Load(o + d) * Load(g + d);
    float sum = 0;
    for (; d < D; ++d) sum += o[d] * g[d];
    for (int l = 0; l < kLanes; ++l) sum += acc[l];
    pk.di[x * kQ + i] = sum;
    pk.lse[x * kQ + i] = c.lse[(b * pl.H + h) * pl.Tq + t.q0 + i];
  }
  std::fill(pk.di + x * kQ + t.qn, pk.di + (x + 1) * kQ, 0.0f);
  std::fill(pk.lse + x * kQ + t.qn, pk.lse + (x + 1) * kQ, 0.0f);
}

// dq rows of query tile (b, h, qt) = scale * acc ([qn, dp]).
void WriteDq(const Plan& pl, int64_t b, int64_t h, int64_t qt, const float* acc, float* dq) {
  const QueryTile t = pl.Query(b, qt);
  for (int64_t i = 0; i < t.qn; ++i) {
    float* dst = dq + (b * pl.Tq + t.q0 + i) * pl.qs + h * pl.D;
    for (int64_t d = 0; d < pl.D; ++d) dst[d] = pl.scale * acc[i * pl.dp + d];
  }
}

struct BackwardScratch {
  Floats buf;
  float *st, *gt, *dk, *dv;  // [kK, kQ] S^T then P^T; [kK, kQ] dP^T then G^T; [kK, dp] x2
  float* dq;                 // [G, Tq, dp] one-pass dq, or [kQ, dp] dq pass
  float* pack;               // one pass: the group's QueryPack, G * nqt tiles
  // bf16 products: P^T and G^T rows [kK, kQ / 2], G^T lane pairs [kK / 2, kQ],
  // and PackQueryTile's [kQ, dh]; the packed K and V the pairs read.
  uint32_t *pt, *gtr, *gp, *tmp;
  const KvPack* kv = nullptr;
  TileMask mask;
  BackwardScratch(const Plan& pl, bool one_pass) {
    const int64_t dq_size = one_pass ? pl.G * pl.Tq * pl.dp : kQ * pl.dp;
    const int64_t pack_size = one_pass ? QueryPack::Floats(pl, pl.G * pl.nqt) : 0;
    const int64_t words = pl.bf16 ? 3 * kK * kQ / 2 + kQ * pl.dh : 0;
    buf = NewFloats(2 * kK * kQ + 2 * kK * pl.dp + dq_size + pack_size + words);
    st = buf.get();
    gt = st + kK * kQ;
    dk = gt + kK * kQ;
    dv = dk + kK * pl.dp;
    dq = dv + kK * pl.dp;
    pack = dq + dq_size;
    pt = reinterpret_cast<uint32_t*>(pack + pack_size);
    gtr = pt + kK * kQ / 2;
    gp = gtr + kK * kQ / 2;
    tmp = gp + kK * kQ / 2;
    std::fill(st, dk, 0.0f);  // finite stale values: see BackwardPair
  }
};

// One (query tile, key tile) pair; query tile (b, h, qt) is tile x of pk.
// Adds to the dk/dv tile accumulators (want_kv) and to dq ([qn, dp], when
// not null). Not inlined so that both schedules run the very same code and
// get bitwise equal sums.
SEEK_ONE_BODY void BackwardPair(const Plan& pl, const BackwardCtx& c, const QueryPack& pk,
                                int64_t x, int64_t b, int64_t h, int64_t qt, int64_t kt,
                                bool want_kv, float* dq, BackwardScratch& w) {
  const QueryTile t = pl.Query(b, qt);
  const int64_t nq = RoundUp16(t.qn), kvh = h / pl.G, dp = pl.dp;
  const int64_t k0 = kt * kK, kn = std::min(kK, pl.Tk - k0), krow = b * pl.Tk + k0;
  const float* lse = pk.lse + x * kQ;
  const float* di = pk.di + x * kQ;
  // A partly masked pair computes only the blocks holding visible pairs;
  // elsewhere P = 0 after the mask, hence G = 0 too.
  const bool full = pl.Full(b, t, k0, kn);
  if (!full) {
    w.mask.SetQueries(&pl.doc_start[b * pl.Tk + t.p_lo], t.p_lo, t.qn);
    w.mask.SetKeys(k0, kn, t.qn);
  }
  const RowRanges by_key = full ? RowRanges{} : w.mask.ByKey();
  const RowRanges by_query = full ? RowRanges{} : w.mask.ByQuery();
  // S^T = K Q^T, then P^T = exp(S^T - lse).
  if (pl.bf16)
    TileGemm<Bf16Ops>(kn, nq, pl.D, w.kv->KRows(b, kvh, k0), pl.dh, 1, pk.qtb + x * pk.tb,
                      kQ, w.st, kQ, false, {}, by_key);
  else
    TileGemm(kn, nq, pl.D, c.k + krow * pl.ks + kvh * pl.D, pl.ks, 1, pk.qt + x * pl.D * kQ, kQ,
             w.st, kQ, false, {}, by_key);
  if (!full) w.mask.Apply(w.st, kn, nq, k0);
  for (int64_t j = 0; j < kn; ++j)
    for (int64_t i = 0; i < nq; i += kLanes)
      Store(w.st + j * kQ + i, Exp(Load(w.st + j * kQ + i) - Load(lse + i)));
  // dP^T = V dO^T, then G^T = P^T (dP^T - D); dP^T outside the computed
  // blocks holds stale finite values that P^T = 0 cancels.
  if (pl.bf16)
    TileGemm<Bf16Ops>(kn, nq, pl.D, w.kv->VRows(b, kvh, k0), pl.dh, 1,
                      pk.dotb + x * pk.tb, kQ, w.gt, kQ, false, {}, by_key);
  else
    TileGemm(kn, nq, pl.D, c.v + krow * pl.vs + kvh * pl.D, pl.vs, 1, pk.dot + x * pl.D * kQ, kQ,
             w.gt, kQ, false, {}, by_key);
  for (int64_t j = 0; j < kn; ++j)
    for (int64_t i = 0; i < nq; i += kLanes) {
      V16 p = Load(w.st + j * kQ + i), dpv = Load(w.gt + j * kQ + i);
      Store(w.gt + j * kQ + i, p * (dpv - Load(di + i)));
    }
  const int64_t qrow = b * pl.Tq + t.q0;
  if (pl.bf16) {
    // Query padding past qn pairs with zero rows of dO and Q; keys past kn
    // with zero rows of K (and G^T's missing row reads as 0).
    if (want_kv) {
      PackRows(w.st, kn, nq, kQ, w.pt, kQ / 2);
      PackRows(w.gt, kn, nq, kQ, w.gtr, kQ / 2);
      TileGemm<Bf16Ops>(kn, dp, t.qn, w.pt, kQ / 2, 1, pk.dop + x * pk.pb, dp, w.dv, dp, true,
                        by_key);
      TileGemm<Bf16Ops>(kn, dp, t.qn, w.gtr, kQ / 2, 1, pk.qp + x * pk.pb, dp, w.dk, dp, true,
                        by_key);
    }
    if (dq != nullptr) {
      PairRows(w.gt, kn, nq, kQ, w.gp);
      TileGemm<Bf16Ops>(t.qn, dp, kn, w.gp, 1, kQ, w.kv->KPairs(b, kvh, k0), dp, dq, dp, true,
                        by_query);
    }
    return;
  }
  if (want_kv) {
    TileGemm(kn, dp, t.qn, w.st, kQ, 1, c.dout_b.At(qrow, h), c.dout_b.row, w.dv, dp, true, by_key);
    TileGemm(kn, dp, t.qn, w.gt, kQ, 1, c.q_b.At(qrow, h), c.q_b.row, w.dk, dp, true, by_key);
  }
  if (dq != nullptr) {
    TileGemm(t.qn, dp, kn, w.gt, 1, kQ, c.k_b.At(krow, kvh), c.k_b.row, dq, dp, true, by_query);
  }
}

// Key tile kt of kv head kvh against every query tile of the group that sees
// it, in a fixed order (head, then query tile); then writes its dk, dv rows.
// Query tile (b, h, qt) is tile x(h, qt) of pk; with dq, its dq rows are at
// dq + (h - kvh * G) * Tq * dp.
template <typename TileIndex>
void KeyTile(const Plan& pl, const BackwardCtx& c, const QueryPack& pk, TileIndex x, int64_t b,
             int64_t kvh, int64_t kt, float* dq, float* dk, float* dv, BackwardScratch& w) {
  const int64_t k0 = kt * kK, kn = std::min(kK, pl.Tk - k0), dp = pl.dp;
  std::fill(w.dk, w.dk + kn * dp, 0.0f);
  std::fill(w.dv, w.dv + kn * dp, 0.0f);
  for (int64_t g = 0; g < pl.G; ++g)
    for (int64_t qt = 0; qt < pl.nqt; ++qt) {
      const QueryTile t = pl.Query(b, qt);
      if (kt < t.kt_lo || kt > t.kt_hi) continue;
      const int64_t h = kvh * pl.G + g;
      float* dq_rows = dq ? dq + (g * pl.Tq + t.q0) * dp : nullptr;
      BackwardPair(pl, c, pk, x(h, qt), b, h, qt, kt, true, dq_rows, w);
    }
  for (int64_t j = 0; j < kn; ++j) {
    float* dkr = dk + (b * pl.Tk + k0 + j) * pl.ks + kvh * pl.D;
    float* dvr = dv + (b * pl.Tk + k0 + j) * pl.vs + kvh * pl.D;
    for (int64_t d = 0; d < pl.D; ++d) {
      dkr[d] = pl.scale * w.dk[j * dp + d];
      dvr[d] = w.dv[j * dp + d];
    }
  }
}

}  // namespace

void AttentionForward(const AttentionShape& s, float* out, float* lse, const float* q,
                      const float* k, const float* v, const int32_t* doc, AttentionStats* stats) {
  const Plan pl(s, doc);
  const AttentionStats st = pl.Stats();
  if (stats) *stats = st;
  if (pl.B == 0 || pl.Tq == 0) return;
  const bool parallel = pl.Parallel(st);
  AlignedBuffer v_pad;
  const Rows k_rows{k, pl.ks, pl.D};
  const Rows v_rows = pl.bf16 ? Rows{v, pl.vs, pl.D}
                              : PaddedRows(v, pl.B * pl.Tk, pl.KVH, pl.D, pl.vs, pl.dp, v_pad);
  KvPack kv(pl, false, false);
  kv.PackAll(pl, k, v, parallel);
  const int64_t bh = pl.B * pl.H, items = bh * pl.nqt;
#pragma omp parallel if (parallel)
  {
    ForwardScratch w(pl);
    // Last query tiles first: they see the most keys.
#pragma omp for schedule(dynamic, 1)
    for (int64_t it = 0; it < items; ++it) {
      const int64_t qt = pl.nqt - 1 - it / bh, b = it % bh / pl.H, h = it % pl.H;
      ForwardTile(pl, b, h, qt, q, k_rows, v_rows, kv, out, lse, w);
    }
  }
}

void AttentionBackward(const AttentionShape& s, float* dq, float* dk, float* dv, const float* dout,
                       const float* out, const float* lse, const float* q, const float* k,
                       const float* v, const int32_t* doc, AttentionStats* stats) {
  const Plan pl(s, doc);
  const AttentionStats st = pl.Stats();
  if (stats) *stats = st;
  const bool parallel = pl.Parallel(st);
  const int64_t B = pl.B, H = pl.H, G = pl.G, Tq = pl.Tq, dp = pl.dp, nqt = pl.nqt;
  AlignedBuffer q_pad, dout_pad, k_pad;
  auto b_operand = [&](const float* src, int64_t rows, int64_t heads, int64_t stride,
                       AlignedBuffer& store) {  // f32 products only
    return pl.bf16 ? Rows{src, stride, pl.D}
                   : PaddedRows(src, rows, heads, pl.D, stride, dp, store);
  };
  const BackwardCtx c{q,
                      k,
                      v,
                      dout,
                      out,
                      lse,
                      b_operand(q, B * Tq, H, pl.qs, q_pad),
                      b_operand(dout, B * Tq, H, pl.os, dout_pad),
                      b_operand(k, B * pl.Tk, pl.KVH, pl.ks, k_pad)};

  // Two race-free schedules with the same summation order, hence equal bits.
  // One pass over (b, kv head) when that gives every thread several items:
  // an item packs its group's query tiles, owns its dk, dv rows and its dq
  // rows, and keeps all of them in thread scratch. Else a dk/dv pass over
  // (b, kv head, key tile) and a dq pass over (b, head, query tile), which
  // recomputes P and dP (7 tile products per pair instead of 5).
  const int nt = parallel ? omp_get_max_threads() : 1;
  const int64_t one_pass_floats = G * Tq * dp + QueryPack::Floats(pl, G * nqt);
  const bool one_pass = (nt == 1 || B * pl.KVH >= 4 * nt) && one_pass_floats <= (int64_t{1} << 24);
  if (one_pass) {
#pragma omp parallel if (parallel)
    {
      BackwardScratch w(pl, true);
      const QueryPack pk(pl, w.pack, G * nqt);
      KvPack kv(pl, true, true);  // the item's K and V, hot for its products
      w.kv = &kv;
#pragma omp for schedule(dynamic, 1)
      for (int64_t it = 0; it < B * pl.KVH; ++it) {
        const int64_t b = it / pl.KVH, kvh = it % pl.KVH;
        if (pl.bf16) kv.Pack(pl, k, v, b, kvh);
        for (int64_t g = 0; g < G; ++g)
          for (int64_t qt = 0; qt < nqt; ++qt)
            PackQueryTile(pl, c, b, kvh * G + g, qt, pk, g * nqt + qt, w.tmp);
        std::fill(w.dq, w.dq + G * Tq * dp, 0.0f);
        auto x = [&](int64_t h, int64_t qt) { return (h - kvh * G) * nqt + qt; };
        for (int64_t kt = 0; kt < pl.nkt; ++kt) KeyTile(pl, c, pk, x, b, kvh, kt, w.dq, dk, dv, w);
        for (int64_t g = 0; g < G; ++g)
          for (int64_t qt = 0; qt < nqt; ++qt)
            WriteDq(pl, b, kvh * G + g, qt, w.dq + (g * Tq + qt * kQ) * dp, dq);
      }
    }
    return;
  }
  const int64_t tiles = B * H * nqt;
  Floats pack = NewFloats(QueryPack::Floats(pl, tiles));
  const QueryPack pk(pl, pack.get(), tiles);
  KvPack kv(pl, true, false);
  kv.PackAll(pl, k, v, parallel);
#pragma omp parallel
  {
    BackwardScratch w(pl, false);
    w.kv = &kv;
#pragma omp for schedule(static)
    for (int64_t x = 0; x < tiles; ++x)
      PackQueryTile(pl, c, x / (H * nqt), x / nqt % H, x % nqt, pk, x, w.tmp);
      // Early key tiles first: more query tiles see them.
#pragma omp for schedule(dynamic, 1) nowait
    for (int64_t it = 0; it < B * pl.KVH * pl.nkt; ++it) {
      const int64_t kt = it / (B * pl.KVH), b = it % (B * pl.KVH) / pl.KVH;
      auto x = [&](int64_t h, int64_t qt) { return (b * H + h) * nqt + qt; };
      KeyTile(pl, c, pk, x, b, it % pl.KVH, kt, nullptr, dk, dv, w);
    }
    // Last query tiles first: they see the most keys.
#pragma omp for schedule(dynamic, 1)
    for (int64_t it = 0; it < tiles; ++it) {
      const int64_t b = it / (H * nqt), h = it / nqt % H, qt = nqt - 1 - it % nqt;
      const QueryTile t = pl.Query(b, qt);
      std::fill(w.dq, w.dq + kQ * dp, 0.0f);
      for (int64_t kt = t.kt_lo; kt <= t.kt_hi; ++kt)
        BackwardPair(pl, c, pk, (b * H + h) * nqt + qt, b, h, qt, kt, false, w.dq, w);
      WriteDq(pl, b, h, qt, w.dq, dq);
    }
  }
}

}  // namespace seek
