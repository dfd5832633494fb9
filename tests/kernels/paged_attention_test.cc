// Paged attention: the fast kernel against its reference twin, and the
// reference against the dense attention kernel on the same keys (fresh random
// inputs, shuffled block tables, GQA, mixed prefill and decode rows).
#include "kernels/paged_attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "kernels/attention.h"
#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;

struct PagedProblem {
  PagedAttentionShape s;
  std::vector<PagedSequence> seqs;
  std::vector<std::vector<int32_t>> tables;
  std::vector<float> q, k_pool, v_pool;  // pools hold k and v in separate arrays
  int64_t rows = 0;
};

PagedProblem MakeProblem(Rng& rng, int64_t H, int64_t KVH, int64_t D, int64_t bs,
                         const std::vector<std::pair<int64_t, int64_t>>& nq_nctx) {
  PagedProblem p;
  p.s.n_head = H;
  p.s.n_kv_head = KVH;
  p.s.head_dim = D;
  p.s.block_size = bs;
  p.s.block_stride = bs * KVH * D + 8;  // a gap between blocks, as in the real pool
  int64_t n_blocks = 0;
  for (auto [nq, nctx] : nq_nctx) n_blocks += (nctx + bs - 1) / bs;
  std::vector<int32_t> phys(n_blocks);
  std::iota(phys.begin(), phys.end(), 0);
  for (int64_t i = n_blocks - 1; i > 0; --i) std::swap(phys[i], phys[rng.Below(i + 1)]);
  int64_t used = 0;
  for (auto [nq, nctx] : nq_nctx) {
    std::vector<int32_t> t;
    for (int64_t b = 0; b < (nctx + bs - 1) / bs; ++b) t.push_back(phys[used++]);
    p.tables.push_back(t);
    p.seqs.push_back(PagedSequence{p.rows, nq, nctx, nullptr});
    p.rows += nq;
  }
  for (size_t i = 0; i < p.seqs.size(); ++i) p.seqs[i].block_table = p.tables[i].data();
  auto fill = [&](std::vector<float>& v, int64_t n) {
    v.resize(n);
    for (float& x : v) x = rng.Normal();
  };
  fill(p.q, p.rows * H * D);
  fill(p.k_pool, n_blocks * p.s.block_stride);
  fill(p.v_pool, n_blocks * p.s.block_stride);
  return p;
}

TEST(PagedAttention, FastMatchesReference) {
  Rng rng(FreshSeed());
  for (auto [H, KVH, D, bs] : std::vector<std::array<int64_t, 4>>{
           {4, 2, 8, 16}, {4, 4, 16, 4}, {6, 1, 32, 7}, {2, 2, 64, 1}}) {
    PagedProblem p = MakeProblem(rng, H, KVH, D, bs, {{1, 1}, {5, 5}, {1, 37}, {3, 50}, {1, 16}});
    std::vector<float> out(p.rows * H * D), ref(p.rows * H * D);
    PagedAttentionForward(p.s, p.seqs.data(), p.seqs.size(), p.q.data(), p.k_pool.data(),
                          p.v_pool.data(), out.data());
    PagedAttentionForwardRef(p.s, p.seqs.data(), p.seqs.size(), p.q.data(), p.k_pool.data(),
                             p.v_pool.data(), ref.data());
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], ref[i], 2e-5) << i;
  }
}

// The reference equals the dense kernel (Tq < Tk form) on gathered keys.
TEST(PagedAttention, ReferenceMatchesDenseAttention) {
  Rng rng(FreshSeed());
  const int64_t H = 4, KVH = 2, D = 16, bs = 8, nq = 5, nctx = 29;
  PagedProblem p = MakeProblem(rng, H, KVH, D, bs, {{nq, nctx}});
  std::vector<float> k(nctx * KVH * D), v(nctx * KVH * D);
  for (int64_t j = 0; j < nctx; ++j) {
    const int64_t off = p.tables[0][j / bs] * p.s.block_stride + (j % bs) * KVH * D;
    std::copy_n(p.k_pool.begin() + off, KVH * D, k.begin() + j * KVH * D);
    std::copy_n(p.v_pool.begin() + off, KVH * D, v.begin() + j * KVH * D);
  }
  AttentionShape s;
  s.n_q = nq;
  s.n_kv = nctx;
  s.n_head = H;
  s.n_kv_head = KVH;
  s.head_dim = D;
  std::vector<float> dense(nq * H * D), lse(H * nq), ref(nq * H * D);
  AttentionForward(s, dense.data(), lse.data(), p.q.data(), k.data(), v.data(), nullptr);
  PagedAttentionForwardRef(p.s, p.seqs.data(), 1, p.q.data(), p.k_pool.data(), p.v_pool.data(),
                           ref.data());
  for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(dense[i], ref[i], 2e-5) << i;
}

}  // namespace
}  // namespace seek
