// kernels/attention_ref.cc — reference twins of AttentionForward/Backward.
//
// Plain loops in double over the full [Tq, Tk] score matrix of each
// (batch, head), written for obviousness, not speed: the tests hold the tiled
// kernels in attention.cc to these. Same contract as attention.h; with bf16
// products, each product's operands are rounded to bf16 (R below) where the
// kernels round them.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/check.h"
#include "kernels/attention.h"
#include "kernels/lowp.h"

namespace seek {
namespace {

struct RefDims {
  int64_t B, Tq, Tk, H, KVH, D, qs, ks, vs, os;
  double scale;
  bool bf16;
  // A product's operand: x itself, or x rounded to bf16.
  double R(double x) const {
    return bf16 ? FromBf16Ref(ToBf16Ref(static_cast<float>(x))) : x;
  }
  explicit RefDims(const AttentionShape& s)
      : B(s.batch), Tq(s.n_q), Tk(s.n_kv), H(s.n_head), KVH(s.n_kv_head), D(s.head_dim) {
    CHECK(Tk >= Tq && KVH > 0 && H % KVH == 0 && D > 0);
    qs = s.q_stride ? s.q_stride : H * D;
    ks = s.k_stride ? s.k_stride : KVH * D;
    vs = s.v_stride ? s.v_stride : KVH * D;
    os = s.o_stride ? s.o_stride : H * D;
    scale = s.scale != 0 ? s.scale : 1.0 / std::sqrt(static_cast<double>(D));
    bf16 = s.bf16 && D % 2 == 0;
  }
  int64_t KvHead(int64_t h) const { return h / (H / KVH); }
};

// visible[i * Tk + j]: may query i of sequence b attend to key j?
std::vector<char> Visibility(const RefDims& d, const int32_t* doc, int64_t b) {
  std::vector<int64_t> start(d.Tk, 0);
  for (int64_t j = 1; j < d.Tk; ++j) {
    const bool same_doc = doc == nullptr || doc[b * d.Tk + j] == doc[b * d.Tk + j - 1];
    start[j] = same_doc ? start[j - 1] : j;
  }
  std::vector<char> visible(d.Tq * d.Tk, 0);
  for (int64_t i = 0; i < d.Tq; ++i) {
    const int64_t p = d.Tk - d.Tq + i;
    for (int64_t j = 0; j < d.Tk; ++j) visible[i * d.Tk + j] = start[p] <= j && j <= p;
  }
  return visible;
}

// Scaled scores of (b, h), -inf where masked: [Tq, Tk].
std::vector<double> Scores(const RefDims& d, const std::vector<char>& visible, const float* q,
                           const float* k, int64_t b, int64_t h) {
  std::vector<double> s(d.Tq * d.Tk, -std::numeric_limits<double>::infinity());
  for (int64_t i = 0; i < d.Tq; ++i)
    for (int64_t j = 0; j < d.Tk; ++j) {
      if (!visible[i * d.Tk + j]) continue;
      const float* qi = q + (b * d.Tq + i) * d.qs + h * d.D;
      const float* kj = k + (b * d.Tk + j) * d.ks + d.KvHead(h) * d.D;
      double dot = 0;
      if (d.bf16) {  // the kernels round scale * q
        const float scale = static_cast<float>(d.scale);
        for (int64_t c = 0; c < d.D; ++c) dot += d.R(scale * qi[c]) * d.R(kj[c]);
      } else {
        for (int64_t c = 0; c < d.D; ++c) dot += double(qi[c]) * kj[c];
        dot *= d.scale;
      }
      s[i * d.Tk + j] = dot;
    }
  return s;
}

}  // namespace

void AttentionForwardRef(const AttentionShape& s, float* out, float* lse, const float* q,
                         const float* k, const float* v, const int32_t* doc) {
  const RefDims d(s);
  for (int64_t b = 0; b < d.B; ++b) {
    const std::vector<char> visible = Visibility(d, doc, b);
    for (int64_t h = 0; h < d.H; ++h) {
      const std::vector<double> sc = Scores(d, visible, q, k, b, h);
      for (int64_t i = 0; i < d.Tq; ++i) {
        const double* row = sc.data() + i * d.Tk;
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < d.Tk; ++j) mx = std::max(mx, row[j]);
        std::vector<double> acc(d.D, 0.0);
        double sum = 0;
        for (int64_t j = 0; j < d.Tk; ++j) {
          if (!visible[i * d.Tk + j]) continue;
          const double p = std::exp(row[j] - mx);
          sum += p;
          const float* vj = v + (b * d.Tk + j) * d.vs + d.KvHead(h) * d.D;
          for (int64_t c = 0; c < d.D; ++c) acc[c] += d.R(p) * d.R(vj[c]);
        }
        float* o = out + (b * d.Tq + i) * d.os + h * d.D;
        for (int64_t c = 0; c < d.D; ++c) o[c] = sum > 0 ? static_cast<float>(acc[c] / sum) : 0.f;
        lse[(b * d.H + h) * d.Tq + i] = sum > 0 ? static_cast<float>(mx + std::log(sum))
                                                : -std::numeric_limits<float>::infinity();
      }
    }
  }
}

void AttentionBackwardRef(const AttentionShape& s, float* dq, float* dk, float* dv,
                          const float* dout, const float* out, const float* lse, const float* q,
                          const float* k, const float* v, const int32_t* doc) {
  const RefDims d(s);
  std::vector<double> gq(d.B * d.Tq * d.H * d.D, 0.0), gk(d.B * d.Tk * d.KVH * d.D, 0.0);
  std::vector<double> gv(gk.size(), 0.0);
  for (int64_t b = 0; b < d.B; ++b) {
    const std::vector<char> visible = Visibility(d, doc, b);
    for (int64_t h = 0; h < d.H; ++h) {
      const int64_t kvh = d.KvHead(h);
      const std::vector<double> sc = Scores(d, visible, q, k, b, h);
      for (int64_t i = 0; i < d.Tq; ++i) {
        const float* go = dout + (b * d.Tq + i) * d.os + h * d.D;
        const float* o = out + (b * d.Tq + i) * d.os + h * d.D;
        const float* qi = q + (b * d.Tq + i) * d.qs + h * d.D;
        double di = 0;
        for (int64_t c = 0; c < d.D; ++c) di += double(go[c]) * o[c];
        const double l = lse[(b * d.H + h) * d.Tq + i];
        for (int64_t j = 0; j < d.Tk; ++j) {
          if (!visible[i * d.Tk + j]) continue;
          const double p = std::exp(sc[i * d.Tk + j] - l);
          const float* kj = k + (b * d.Tk + j) * d.ks + kvh * d.D;
          const float* vj = v + (b * d.Tk + j) * d.vs + kvh * d.D;
          double dp = 0;
          for (int64_t c = 0; c < d.D; ++c) dp += d.R(go[c]) * d.R(vj[c]);
          const double ds = d.R(p * (dp - di)) * d.scale;
          double* gqi = gq.data() + ((b * d.Tq + i) * d.H + h) * d.D;
          double* gkj = gk.data() + ((b * d.Tk + j) * d.KVH + kvh) * d.D;
          double* gvj = gv.data() + ((b * d.Tk + j) * d.KVH + kvh) * d.D;
          for (int64_t c = 0; c < d.D; ++c) {
            gvj[c] += d.R(p) * d.R(go[c]);
            gqi[c] += ds * d.R(kj[c]);
            gkj[c] += ds * d.R(qi[c]);
          }
        }
      }
    }
  }
  for (int64_t r = 0; r < d.B * d.Tq; ++r)
    for (int64_t c = 0; c < d.H * d.D; ++c)
      dq[r * d.qs + c] = static_cast<float>(gq[r * d.H * d.D + c]);
  for (int64_t r = 0; r < d.B * d.Tk; ++r)
    for (int64_t c = 0; c < d.KVH * d.D; ++c) {
      dk[r * d.ks + c] = static_cast<float>(gk[r * d.KVH * d.D + c]);
      dv[r * d.vs + c] = static_cast<float>(gv[r * d.KVH * d.D + c]);
    }
}

}  // namespace seek
