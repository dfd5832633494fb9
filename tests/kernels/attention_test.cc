// Tests of the tiled attention kernels against their reference twins, against
// finite differences, against per-document runs, and of the tile skipping;
// and of the bf16 packing against ToBf16Ref.
#include "kernels/attention.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/attention_tile_bf16.h"  // internal; included here to test its packing
#include "kernels/lowp.h"
#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::RandomVec;

// Random documents covering [0, T): lengths 1..max_len, a few of length 1.
// Ids repeat (index % 3) so that only runs, not equal ids, make a document.
std::vector<int32_t> RandomDocs(Rng& rng, int64_t B, int64_t T, int64_t max_len) {
  std::vector<int32_t> doc(B * T);
  for (int64_t b = 0; b < B; ++b) {
    int32_t index = 0;
    for (int64_t t = 0; t < T; ++index) {
      int64_t len = rng.Below(4) == 0 ? 1 : 1 + rng.Below(max_len);
      for (int64_t e = std::min(T, t + len); t < e; ++t) doc[b * T + t] = index % 3;
    }
  }
  return doc;
}

// Dense tensors of one attention problem and the results for it.
struct Problem {
  AttentionShape s;
  std::vector<float> q, k, v, dout;
  std::vector<int32_t> doc;  // empty: no documents
  const int32_t* Doc() const { return doc.empty() ? nullptr : doc.data(); }

  Problem(Rng& rng, int64_t B, int64_t Tq, int64_t Tk, int64_t H, int64_t KVH, int64_t D) {
    s.batch = B, s.n_q = Tq, s.n_kv = Tk, s.n_head = H, s.n_kv_head = KVH, s.head_dim = D;
    q = RandomVec(rng, B * Tq * H * D);
    k = RandomVec(rng, B * Tk * KVH * D);
    v = RandomVec(rng, B * Tk * KVH * D);
    dout = RandomVec(rng, B * Tq * H * D);
  }
};

struct Result {
  std::vector<float> out, lse, dq, dk, dv;
  AttentionStats fwd, bwd;
};

// Forward, then backward from `from`'s out and lse (its own when null).
Result RunAttention(const Problem& p, bool ref, const Result* from = nullptr) {
  const AttentionShape& s = p.s;
  Result r;
  r.out.assign(p.q.size(), NAN);
  r.lse.assign(s.batch * s.n_head * s.n_q, NAN);
  r.dq.assign(p.q.size(), NAN);
  r.dk.assign(p.k.size(), NAN);
  r.dv.assign(p.v.size(), NAN);
  if (ref) {
    AttentionForwardRef(s, r.out.data(), r.lse.data(), p.q.data(), p.k.data(), p.v.data(), p.Doc());
  } else {
    AttentionForward(s, r.out.data(), r.lse.data(), p.q.data(), p.k.data(), p.v.data(), p.Doc(),
                     &r.fwd);
  }
  const Result& f = from ? *from : r;
  if (ref) {
    AttentionBackwardRef(s, r.dq.data(), r.dk.data(), r.dv.data(), p.dout.data(), f.out.data(),
                         f.lse.data(), p.q.data(), p.k.data(), p.v.data(), p.Doc());
  } else {
    AttentionBackward(s, r.dq.data(), r.dk.data(), r.dv.data(), p.dout.data(), f.out.data(),
                      f.lse.data(), p.q.data(), p.k.data(), p.v.data(), p.Doc(), &r.bwd);
  }
  return r;
}

// max |got - want| / max(1, max |want|): absolute for O(1) values, relative
// for the larger gradient entries that sum over many keys or queries.
float Err(const std::vector<float>& got, const std::vector<float>& want) {
  float scale = 1;
  for (float x : want) scale = std::max(scale, std::fabs(x));
  float err = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    float d = std::fabs(got[i] - want[i]);
    err = std::max(err, std::isnan(d) ? INFINITY : d);
  }
  return err / scale;
}

void ExpectMatch(const Result& got, const Result& want, const std::string& what,
                 float tol = 1e-5f) {
  EXPECT_LT(Err(got.out, want.out), tol) << "out " << what;
  EXPECT_LT(Err(got.lse, want.lse), tol) << "lse " << what;
  EXPECT_LT(Err(got.dq, want.dq), tol) << "dq " << what;
  EXPECT_LT(Err(got.dk, want.dk), tol) << "dk " << what;
  EXPECT_LT(Err(got.dv, want.dv), tol) << "dv " << what;
}

std::string Describe(uint64_t seed, const AttentionShape& s, bool docs) {
  return "seed " + std::to_string(seed) + " B" + std::to_string(s.batch) + " Tq" +
         std::to_string(s.n_q) + " Tk" + std::to_string(s.n_kv) + " H" + std::to_string(s.n_head) +
         " KVH" + std::to_string(s.n_kv_head) + " D" + std::to_string(s.head_dim) +
         (docs ? " docs" : "") + (s.bf16 ? " bf16" : "");
}

// bf16 products against the reference that rounds the same operands: what
// remains is f32 against double sums and the odd operand that rounds the
// other way (a P or G whose f32 value differs in the last bits; forward
// rounds P against the running maximum, the reference against the final
// one). Each such flip moves one product by 2^-8 of itself, so the sums stay
// within ~1e-3 of the largest value (measured: up to 7e-4); 4e-3 leaves
// margin. The f32 products meet 1e-5.
constexpr float kBf16Tol = 4e-3f;

void CheckAgainstReference(bool docs, bool bf16 = false) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  // Every (KVH, D) at two lengths; one D in turn at the others (keeps the
  // Debug sanitizer build quick).
  const int64_t lengths[] = {1, 3, 17, 63, 64, 65, 100, 130};
  const int64_t kv_heads[] = {4, 2, 1}, head_dims[] = {16, 32, 64};
  for (int t = 0; t < 8; ++t) {
    for (int kv = 0; kv < 3; ++kv) {
      for (int d = 0; d < 3; ++d) {
        const int64_t T = lengths[t], KVH = kv_heads[kv], D = head_dims[d];
        if (T != 65 && T != 130 && d != (t + kv) % 3) continue;
        Problem p(rng, 2, T, T, 4, KVH, D);
        p.s.bf16 = bf16;
        if (docs) p.doc = RandomDocs(rng, 2, T, 40);
        const Result want = RunAttention(p, true);
        const Result got = RunAttention(p, false, &want);
        ExpectMatch(got, want, Describe(seed, p.s, docs), bf16 ? kBf16Tol : 1e-5f);
      }
    }
  }
}

TEST(Attention, MatchesReferenceCausal) {
  CheckAgainstReference(false);
}
TEST(Attention, MatchesReferenceWithDocuments) {
  CheckAgainstReference(true);
}

// The vector packing (VCVTNE2PS2BF16 where the CPU has it, integer code
// elsewhere) rounds each value exactly as ToBf16Ref: random bits, with
// zeros, subnormals, exact ties, infinities and NaNs mixed in.
TEST(AttentionTile, Bf16PackingRoundsAsToBf16Ref) {
  using namespace attention_tile;
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (int it = 0; it < 20000; ++it) {
    float x[32];
    for (float& e : x) {
      uint32_t u = static_cast<uint32_t>(rng.NextU64());
      switch (rng.Below(6)) {
        case 0: u &= 0x807FFFFFu; break;                  // zero or subnormal
        case 1: u = (u & 0xFFFF0000u) | 0x8000u; break;   // a tie
        case 2: u |= 0x7F800000u; break;                  // inf or NaN
        default: break;
      }
      std::memcpy(&e, &u, 4);
    }
    const W16 adjacent = PairAdjacent(Load(x), Load(x + 16));
    const W16 lanes = PairLanes(Load(x), Load(x + 16));
    for (int l = 0; l < 16; ++l) {
      const uint32_t want_adjacent = ToBf16Ref(x[2 * l]) | uint32_t(ToBf16Ref(x[2 * l + 1])) << 16;
      const uint32_t want_lanes = ToBf16Ref(x[l]) | uint32_t(ToBf16Ref(x[16 + l])) << 16;
      ASSERT_EQ(adjacent[l], want_adjacent) << "seed " << seed << " lane " << l;
      ASSERT_EQ(lanes[l], want_lanes) << "seed " << seed << " lane " << l;
    }
  }
}

TEST(Attention, Bf16ProductsMatchTheirReference) {
  CheckAgainstReference(false, true);
  CheckAgainstReference(true, true);
}

// The bf16 kernels do round: their results sit far closer to the reference
// that rounds like them than that reference sits to the f32 one, which
// differs by what bf16 operands cost (within 3e-2 here: 8-bit mantissas,
// sums of up to 130 terms). Closeness is compared as root mean square: the
// largest differences come from the odd operand that rounds the other way
// (a P or G a last bit apart; forward rounds P against the running maximum,
// the reference against the final one) and alone are held to kBf16Tol.
// Measured over 1,000 seeds: RMS ratios of at least 7.3 (out), 19 (dq), 21
// (dk) and 20 (dv); the largest differences alone came within 2.4x.
TEST(Attention, Bf16ProductsRoundWhereTheReferenceDoes) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  Problem p(rng, 2, 130, 130, 4, 2, 64);
  p.doc = RandomDocs(rng, 2, 130, 90);
  p.s.bf16 = true;
  const Result want16 = RunAttention(p, true);
  const Result got = RunAttention(p, false, &want16);
  Problem p32 = p;
  p32.s.bf16 = false;
  const Result want32 = RunAttention(p32, true, &want16);
  const std::string what = Describe(seed, p.s, true);
  auto rms = [](const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i) sum += double(a[i] - b[i]) * (a[i] - b[i]);
    return std::sqrt(sum / a.size());
  };
  auto check = [&](const std::vector<float>& g, const std::vector<float>& w16,
                   const std::vector<float>& w32, const char* name) {
    EXPECT_LT(rms(g, w16) * 4, rms(w16, w32)) << name << " " << what;
    EXPECT_LT(Err(g, w16), kBf16Tol) << name << " " << what;
    EXPECT_LT(Err(w16, w32), 3e-2f) << name << " " << what;
    EXPECT_LT(Err(g, w32), 3e-2f) << name << " " << what;
  };
  check(got.out, want16.out, want32.out, "out");
  check(got.dq, want16.dq, want32.dq, "dq");
  check(got.dk, want16.dk, want32.dk, "dk");
  check(got.dv, want16.dv, want32.dv, "dv");
}

TEST(Attention, StridedRowsInsideFusedQkvBuffer) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t B = 2, T = 70, H = 4, KVH = 2;
  for (int round = 0; round < 4; ++round) {
    const int64_t D = round % 2 == 0 ? 24 : 32;  // 24: head rows not a whole number of vectors
    Problem p(rng, B, T, T, H, KVH, D);
    p.s.bf16 = round >= 2;  // f32 products, then bf16
    p.doc = RandomDocs(rng, B, T, 30);
    const int64_t W = (H + 2 * KVH) * D, OW = H * D + 5;  // fused row; out row with a gap
    std::vector<float> qkv(B * T * W), dout(B * T * OW, NAN);
    for (int64_t r = 0; r < B * T; ++r) {
      std::copy_n(&p.q[r * H * D], H * D, &qkv[r * W]);
      std::copy_n(&p.k[r * KVH * D], KVH * D, &qkv[r * W + H * D]);
      std::copy_n(&p.v[r * KVH * D], KVH * D, &qkv[r * W + (H + KVH) * D]);
      std::copy_n(&p.dout[r * H * D], H * D, &dout[r * OW]);
    }
    AttentionShape s = p.s;
    s.q_stride = s.k_stride = s.v_stride = W;
    s.o_stride = OW;
    std::vector<float> out(B * T * OW, NAN), lse(B * H * T), dqkv(B * T * W, NAN);
    const float* q = qkv.data();
    AttentionForward(s, out.data(), lse.data(), q, q + H * D, q + (H + KVH) * D, p.Doc());
    AttentionBackward(s, dqkv.data(), dqkv.data() + H * D, dqkv.data() + (H + KVH) * D, dout.data(),
                      out.data(), lse.data(), q, q + H * D, q + (H + KVH) * D, p.Doc());
    const Result dense = RunAttention(p, false), want = RunAttention(p, true, &dense);
    Result got;
    got.lse = lse;
    for (int64_t r = 0; r < B * T; ++r) {
      got.out.insert(got.out.end(), &out[r * OW], &out[r * OW + H * D]);
      for (int64_t c = H * D; c < OW; ++c) EXPECT_TRUE(std::isnan(out[r * OW + c])) << "gap";
      got.dq.insert(got.dq.end(), &dqkv[r * W], &dqkv[r * W + H * D]);
      got.dk.insert(got.dk.end(), &dqkv[r * W + H * D], &dqkv[r * W + (H + KVH) * D]);
      got.dv.insert(got.dv.end(), &dqkv[r * W + (H + KVH) * D], &dqkv[(r + 1) * W]);
    }
    ExpectMatch(got, want, Describe(seed, s, true), s.bf16 ? kBf16Tol : 1e-5f);
    // Strides change addresses only, never the arithmetic.
    EXPECT_EQ(got.out, dense.out) << Describe(seed, s, true);
    EXPECT_EQ(got.dq, dense.dq) << Describe(seed, s, true);
    EXPECT_EQ(got.dk, dense.dk) << Describe(seed, s, true);
    EXPECT_EQ(got.dv, dense.dv) << Describe(seed, s, true);
  }
}

TEST(Attention, FewQueriesAgainstLongerKeyCache) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t B = 2, Tk = 77, H = 4, KVH = 2, D = 40;  // D: not whole vectors
  for (bool docs : {false, true}) {
    Problem full(rng, B, Tk, Tk, H, KVH, D);
    full.s.scale = docs ? 0.3f : 0.f;  // an explicit scale, and the default
    if (docs) full.doc = RandomDocs(rng, B, Tk, 30);
    const Result whole = RunAttention(full, false);
    for (int64_t Tq : {1, 5}) {
      // The last Tq queries of `full`, attending to all of its keys.
      Problem p = full;
      p.s.n_q = Tq;
      p.q.clear();
      p.dout.clear();
      for (int64_t b = 0; b < B; ++b) {
        auto first = (b * Tk + Tk - Tq) * H * D, last = (b + 1) * Tk * H * D;
        p.q.insert(p.q.end(), full.q.begin() + first, full.q.begin() + last);
        p.dout.insert(p.dout.end(), full.dout.begin() + first, full.dout.begin() + last);
      }
      const Result want = RunAttention(p, true);
      const Result got = RunAttention(p, false, &want);
      const std::string what = Describe(seed, p.s, docs);
      ExpectMatch(got, want, what);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < Tq; ++i) {
          for (int64_t c = 0; c < H * D; ++c)
            ASSERT_NEAR(got.out[(b * Tq + i) * H * D + c],
                        whole.out[(b * Tk + Tk - Tq + i) * H * D + c], 1e-5)
                << what;
          for (int64_t h = 0; h < H; ++h)
            ASSERT_NEAR(got.lse[(b * H + h) * Tq + i], whole.lse[(b * H + h) * Tk + Tk - Tq + i],
                        1e-5)
                << what;
        }
    }
  }
}

TEST(Attention, DocumentMaskEqualsSeparateSequences) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t B = 2, T = 150, H = 4, KVH = 2, D = 32, row = H * D, kv_row = KVH * D;
  Problem packed(rng, B, T, T, H, KVH, D);
  packed.doc = RandomDocs(rng, B, T, 60);
  const Result all = RunAttention(packed, false);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t start = 0, end; start < T; start = end) {
      end = start;
      while (end < T && packed.doc[b * T + end] == packed.doc[b * T + start]) ++end;
      const int64_t L = end - start, r0 = b * T + start;
      Problem one(rng, 1, L, L, H, KVH, D);
      one.q.assign(&packed.q[r0 * row], &packed.q[(r0 + L) * row]);
      one.dout.assign(&packed.dout[r0 * row], &packed.dout[(r0 + L) * row]);
      one.k.assign(&packed.k[r0 * kv_row], &packed.k[(r0 + L) * kv_row]);
      one.v.assign(&packed.v[r0 * kv_row], &packed.v[(r0 + L) * kv_row]);
      const Result alone = RunAttention(one, false);
      Result slice;
      slice.out.assign(&all.out[r0 * row], &all.out[(r0 + L) * row]);
      slice.dq.assign(&all.dq[r0 * row], &all.dq[(r0 + L) * row]);
      slice.dk.assign(&all.dk[r0 * kv_row], &all.dk[(r0 + L) * kv_row]);
      slice.dv.assign(&all.dv[r0 * kv_row], &all.dv[(r0 + L) * kv_row]);
      for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < L; ++i) slice.lse.push_back(all.lse[(b * H + h) * T + start + i]);
      ExpectMatch(slice, alone,
                  "seed " + std::to_string(seed) + " b" + std::to_string(b) + " document [" +
                      std::to_string(start) + ", " + std::to_string(end) + ")");
    }
}

// Tile counts of one sequence, by brute force over every (query, key) pair.
AttentionStats BruteForceTiles(int64_t Tq, int64_t Tk, const std::vector<int32_t>& doc) {
  std::vector<int64_t> boundaries(Tk, 0);  // boundaries[x]: id changes in (0, x]
  for (int64_t x = 1; x < Tk; ++x) boundaries[x] = boundaries[x - 1] + (doc[x] != doc[x - 1]);
  auto same_doc = [&](int64_t j, int64_t p) { return boundaries[j] == boundaries[p]; };
  AttentionStats st;
  const int64_t tq = kAttentionQueryTile, tk = kAttentionKeyTile;
  for (int64_t q0 = 0; q0 < Tq; q0 += tq) {
    const int64_t q1 = std::min(Tq, q0 + tq), p_max = Tk - Tq + q1 - 1;
    for (int64_t k0 = 0; k0 <= p_max; k0 += tk) {
      ++st.tiles_total;
      bool any = false;
      for (int64_t i = q0; i < q1 && !any; ++i)
        for (int64_t j = k0; j < std::min(Tk, k0 + tk) && !any; ++j)
          any = j <= Tk - Tq + i && same_doc(j, Tk - Tq + i);
      st.tiles_computed += any;
    }
  }
  st.tiles_skipped = st.tiles_total - st.tiles_computed;
  return st;
}

TEST(Attention, SkipsTilesOutsideDocuments) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t T = 1024, H = 2, KVH = 1, D = 16;
  int64_t computed_one_doc = 0;
  for (int64_t n_docs : {1, 2, 8, 0}) {  // 0: random document lengths
    Problem p(rng, 1, T, T, H, KVH, D);
    p.doc.resize(T);
    if (n_docs == 0) p.doc = RandomDocs(rng, 1, T, 200);
    for (int64_t t = 0; n_docs > 0 && t < T; ++t) p.doc[t] = int32_t(t / (T / n_docs));
    const AttentionStats want = BruteForceTiles(T, T, p.doc);
    std::vector<float> out(p.q.size()), lse(H * T), dq(p.q.size()), dk(p.k.size()), dv(p.v.size());
    AttentionStats fwd, bwd;
    AttentionForward(p.s, out.data(), lse.data(), p.q.data(), p.k.data(), p.v.data(), p.Doc(),
                     &fwd);
    AttentionBackward(p.s, dq.data(), dk.data(), dv.data(), p.dout.data(), out.data(), lse.data(),
                      p.q.data(), p.k.data(), p.v.data(), p.Doc(), &bwd);
    const std::string what =
        "seed " + std::to_string(seed) + " documents " + std::to_string(n_docs);
    EXPECT_EQ(fwd.tiles_total, H * want.tiles_total) << what;
    EXPECT_EQ(fwd.tiles_computed, H * want.tiles_computed) << what;
    EXPECT_EQ(fwd.tiles_skipped, H * want.tiles_skipped) << what;
    EXPECT_EQ(bwd.tiles_computed, fwd.tiles_computed) << what;
    EXPECT_EQ(bwd.tiles_skipped, fwd.tiles_skipped) << what;
    const int64_t n = T / kAttentionQueryTile;  // 64-row tiles: total is the triangle
    EXPECT_EQ(fwd.tiles_total, H * n * (n + 1) / 2) << what;
    if (n_docs == 1) computed_one_doc = fwd.tiles_computed;
    if (n_docs == 8) {
      EXPECT_LE(4 * fwd.tiles_computed, computed_one_doc) << what;
    }
  }
  // Queries attending to a cache: Tq = 5 and 70 against Tk = 300.
  for (int64_t Tq : {5, 70}) {
    Problem p(rng, 2, Tq, 300, H, KVH, D);
    p.doc = RandomDocs(rng, 2, 300, 100);
    std::vector<float> out(p.q.size()), lse(2 * H * Tq);
    AttentionStats got;
    AttentionForward(p.s, out.data(), lse.data(), p.q.data(), p.k.data(), p.v.data(), p.Doc(),
                     &got);
    AttentionStats want;
    for (int64_t b = 0; b < 2; ++b) {
      AttentionStats w = BruteForceTiles(
          Tq, 300, std::vector<int32_t>(p.doc.begin() + b * 300, p.doc.begin() + (b + 1) * 300));
      want.tiles_total += H * w.tiles_total;
      want.tiles_computed += H * w.tiles_computed;
    }
    EXPECT_EQ(got.tiles_total, want.tiles_total) << "seed " << seed << " Tq " << Tq;
    EXPECT_EQ(got.tiles_computed, want.tiles_computed) << "seed " << seed << " Tq " << Tq;
  }
}

TEST(Attention, BackwardMatchesFiniteDifferences) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  Problem p(rng, 1, 6, 6, 2, 1, 4);
  p.doc = {3, 3, 1, 1, 1, 3};
  const Result r = RunAttention(p, false);  // dout plays the loss weights: loss = sum(out * dout)
  auto loss = [&](const Problem& x) {
    std::vector<float> out(x.q.size()), lse(2 * 6);
    AttentionForward(x.s, out.data(), lse.data(), x.q.data(), x.k.data(), x.v.data(), x.Doc());
    double l = 0;
    for (size_t i = 0; i < out.size(); ++i) l += double(out[i]) * x.dout[i];
    return l;
  };
  const float eps = 1e-2f;
  auto check = [&](std::vector<float> Problem::*field, const std::vector<float>& grad,
                   const char* name) {
    for (size_t i = 0; i < grad.size(); ++i) {
      Problem plus = p, minus = p;
      (plus.*field)[i] += eps;
      (minus.*field)[i] -= eps;
      const double numeric = (loss(plus) - loss(minus)) / (2 * eps);
      EXPECT_NEAR(grad[i], numeric, 2e-3 + 1e-2 * std::fabs(numeric))
          << name << "[" << i << "] seed " << seed;
    }
  };
  check(&Problem::q, r.dq, "dq");
  check(&Problem::k, r.dk, "dk");
  check(&Problem::v, r.dv, "dv");
}

TEST(Attention, BackwardIsBitwiseDeterministicAcrossThreadCounts) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int saved = omp_get_max_threads();
  // KVH 1: one or two passes depending on the thread count; KVH 4: one pass.
  for (int round = 0; round < 4; ++round) {
    const int64_t KVH = round % 2 == 0 ? 1 : 4;
    Problem p(rng, 4, 140, 140, 4, KVH, KVH == 1 ? 40 : 32);
    p.s.bf16 = round >= 2;  // f32 products, then bf16
    p.doc = RandomDocs(rng, 4, 140, 90);
    omp_set_num_threads(1);
    const Result one = RunAttention(p, false);
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      const Result r = RunAttention(p, false, &one);
      const std::string what = Describe(seed, p.s, true) + " threads " + std::to_string(threads);
      EXPECT_EQ(r.out, one.out) << what;
      EXPECT_EQ(r.dq, one.dq) << what;
      EXPECT_EQ(r.dk, one.dk) << what;
      EXPECT_EQ(r.dv, one.dv) << what;
    }
  }
  omp_set_num_threads(saved);
}

}  // namespace
}  // namespace seek
