#include "kernels/paged_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/check.h"
#include "core/threads.h"

namespace seek {
namespace {

struct Resolved {
  int64_t hd, q_stride, o_stride, group;
  float scale;
};

Resolved Resolve(const PagedAttentionShape& s) {
  CHECK(s.head_dim > 0 && s.n_kv_head > 0 && s.n_head % s.n_kv_head == 0);
  CHECK(s.block_size > 0 && s.block_stride >= s.block_size * s.n_kv_head * s.head_dim);
  Resolved r;
  r.hd = s.n_head * s.head_dim;
  r.q_stride = s.q_stride ? s.q_stride : r.hd;
  r.o_stride = s.o_stride ? s.o_stride : r.hd;
  r.group = s.n_head / s.n_kv_head;
  r.scale = s.scale != 0 ? s.scale : 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  return r;
}

}  // namespace

void PagedAttentionForward(const PagedAttentionShape& s, const PagedSequence* seqs,
                           int64_t n_seqs, const float* q, const float* k_pool,
                           const float* v_pool, float* out) {
  const Resolved r = Resolve(s);
  const int64_t D = s.head_dim, KVH = s.n_kv_head, bs = s.block_size;
  // One work item per (query row, kv head); rows listed sequence by sequence.
  std::vector<int64_t> row_seq;
  int64_t max_ctx = 0;
  for (int64_t i = 0; i < n_seqs; ++i) {
    CHECK(seqs[i].n_q >= 1 && seqs[i].n_ctx >= seqs[i].n_q);
    CHECK(seqs[i].q_begin == static_cast<int64_t>(row_seq.size()));
    for (int64_t t = 0; t < seqs[i].n_q; ++t) row_seq.push_back(i);
    max_ctx = std::max(max_ctx, seqs[i].n_ctx);
  }
  const int64_t n_items = static_cast<int64_t>(row_seq.size()) * KVH;
  const int64_t work_per_item = std::max<int64_t>(1, max_ctx * D * r.group);
  ParallelFor(n_items, std::max<int64_t>(1, 16384 / work_per_item), [&](int64_t i0, int64_t i1) {
    std::vector<float> scores(max_ctx * r.group);
    std::vector<float> acc(D);
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t row_idx = item / KVH, kvh = item % KVH;
      const PagedSequence& sq = seqs[row_seq[row_idx]];
      const int64_t row = row_idx, i = row - sq.q_begin;
      const int64_t n_vis = sq.n_ctx - sq.n_q + i + 1;
      for (int64_t g = 0; g < r.group; ++g) {
        const int64_t h = kvh * r.group + g;
        const float* qh = q + row * r.q_stride + h * D;
        float* sc = scores.data() + g * max_ctx;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < n_vis; ++j) {
          const float* kj = k_pool + sq.block_table[j / bs] * s.block_stride +
                            ((j % bs) * KVH + kvh) * D;
          float dot = 0;
#pragma omp simd reduction(+ : dot)
          for (int64_t d = 0; d < D; ++d) dot += qh[d] * kj[d];
          sc[j] = dot * r.scale;
          mx = std::max(mx, sc[j]);
        }
        float sum = 0;
        for (int64_t j = 0; j < n_vis; ++j) {
          sc[j] = std::exp(sc[j] - mx);
          sum += sc[j];
        }
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int64_t j = 0; j < n_vis; ++j) {
          const float* vj = v_pool + sq.block_table[j / bs] * s.block_stride +
                            ((j % bs) * KVH + kvh) * D;
          const float p = sc[j];
#pragma omp simd
          for (int64_t d = 0; d < D; ++d) acc[d] += p * vj[d];
        }
        float* oh = out + row * r.o_stride + h * D;
        const float inv = 1.0f / sum;
        for (int64_t d = 0; d < D; ++d) oh[d] = acc[d] * inv;
      }
    }
  });
}

void PagedAttentionForwardRef(const PagedAttentionShape& s, const PagedSequence* seqs,
                              int64_t n_seqs, const float* q, const float* k_pool,
                              const float* v_pool, float* out) {
  const Resolved r = Resolve(s);
  const int64_t D = s.head_dim, KVH = s.n_kv_head, bs = s.block_size;
  for (int64_t si = 0; si < n_seqs; ++si) {
    const PagedSequence& sq = seqs[si];
    // Dense copies: [n_ctx, KVH, D].
    std::vector<float> k(sq.n_ctx * KVH * D), v(sq.n_ctx * KVH * D);
    for (int64_t j = 0; j < sq.n_ctx; ++j) {
      const int64_t off = sq.block_table[j / bs] * s.block_stride + (j % bs) * KVH * D;
      std::copy(k_pool + off, k_pool + off + KVH * D, k.begin() + j * KVH * D);
      std::copy(v_pool + off, v_pool + off + KVH * D, v.begin() + j * KVH * D);
    }
    for (int64_t i = 0; i < sq.n_q; ++i) {
      const int64_t row = sq.q_begin + i, pos = sq.n_ctx - sq.n_q + i;
      for (int64_t h = 0; h < s.n_head; ++h) {
        const int64_t kvh = h / r.group;
        const float* qh = q + row * r.q_stride + h * D;
        std::vector<double> sc(pos + 1);
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j <= pos; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += double(qh[d]) * k[(j * KVH + kvh) * D + d];
          sc[j] = dot * r.scale;
          mx = std::max(mx, sc[j]);
        }
        double sum = 0;
        for (double& x : sc) sum += (x = std::exp(x - mx));
        for (int64_t d = 0; d < D; ++d) {
          double o = 0;
          for (int64_t j = 0; j <= pos; ++j) o += sc[j] * v[(j * KVH + kvh) * D + d];
          out[row * r.o_stride + h * D + d] = static_cast<float>(o / sum);
        }
      }
    }
  }
}

}  // namespace seek
