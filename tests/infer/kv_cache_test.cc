// Paged KV cache: block accounting, prefix reuse, eviction, budget errors.
#include "infer/kv_cache.h"

#include <gtest/gtest.h>

#include <numeric>

#include "infer_test_util.h"

namespace seek {
namespace {

std::unique_ptr<KvCache> MakeCache(int64_t bs, int64_t n_blocks) {
  ModelConfig c = testing::TinyConfig("llama");
  const double block_mb = c.n_layer * 2.0 * bs * c.n_kv_head * c.head_dim() * 4 / (1024.0 * 1024);
  StatusOr<std::unique_ptr<KvCache>> kv = KvCache::Create(c, bs, block_mb * (n_blocks + 0.5));
  EXPECT_TRUE(kv.ok()) << kv.status().ToString();
  EXPECT_EQ((*kv)->num_blocks(), n_blocks);
  return std::move(*kv);
}

std::vector<int32_t> Iota(int n, int start = 0) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

TEST(KvCache, ReserveAndFree) {
  auto kv = MakeCache(4, 10);
  int64_t cached = -1;
  std::vector<int32_t> p = Iota(9);
  int64_t s = kv->AddSequence(p, &cached);
  EXPECT_EQ(cached, 0);
  ASSERT_TRUE(kv->Reserve(s, 9));
  EXPECT_EQ(kv->block_table(s).size(), 3u);
  EXPECT_EQ(kv->num_available_blocks(), 7);
  EXPECT_FALSE(kv->Reserve(s, 41));  // 11 blocks: never now
  EXPECT_EQ(kv->block_table(s).size(), 3u);
  kv->Commit(s, p.data(), 9);
  EXPECT_EQ(kv->num_tokens(s), 9);
  kv->FreeSequence(s);
  EXPECT_EQ(kv->num_available_blocks(), 10);
  EXPECT_EQ(kv->num_sequences(), 0);
}

TEST(KvCache, NeverFitsIsAClearError) {
  auto kv = MakeCache(4, 10);
  EXPECT_TRUE(kv->CheckCanEverFit(40).ok());
  Status st = kv->CheckCanEverFit(41);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("11 KV cache blocks"), std::string::npos) << st.message();
  ModelConfig c = testing::TinyConfig("llama");
  EXPECT_FALSE(KvCache::Create(c, 16, 1e-6).ok());
  EXPECT_FALSE(KvCache::Create(c, 0, 10).ok());
}

TEST(KvCache, SharesFullBlocksOfAnIdenticalPrefix) {
  auto kv = MakeCache(4, 20);
  std::vector<int32_t> a = Iota(10);  // blocks [0..3] [4..7] + 2
  int64_t cached;
  int64_t sa = kv->AddSequence(a, &cached);
  ASSERT_TRUE(kv->Reserve(sa, 10));
  kv->Commit(sa, a.data(), 10);
  // Same first 9 tokens, then different: 2 full blocks reused.
  std::vector<int32_t> b = Iota(9);
  b.push_back(77);
  b.push_back(78);
  int64_t sb = kv->AddSequence(b, &cached);
  EXPECT_EQ(cached, 8);
  EXPECT_EQ(kv->block_table(sb)[0], kv->block_table(sa)[0]);
  EXPECT_EQ(kv->block_table(sb)[1], kv->block_table(sa)[1]);
  EXPECT_EQ(kv->ref_count(kv->block_table(sa)[0]), 2);
  // A prompt of exactly 8 tokens reuses only 1 block: its last token is recomputed.
  int64_t sc = kv->AddSequence(Iota(8), &cached);
  EXPECT_EQ(cached, 4);
  // Differing in the first block: nothing shared.
  std::vector<int32_t> d = Iota(10);
  d[1] = 99;
  int64_t sd = kv->AddSequence(d, &cached);
  EXPECT_EQ(cached, 0);
  for (int64_t s : {sa, sb, sc, sd}) kv->FreeSequence(s);
  EXPECT_EQ(kv->num_available_blocks(), 20);
  // Freed prefix blocks stay cached for a later request with the same prompt.
  int64_t se = kv->AddSequence(a, &cached);
  EXPECT_EQ(cached, 8);
  kv->FreeSequence(se);
}

TEST(KvCache, EvictedParentInvalidatesItsChildren) {
  auto kv = MakeCache(2, 4);
  std::vector<int32_t> a = {1, 2, 3, 4, 5};
  int64_t cached;
  int64_t s = kv->AddSequence(a, &cached);
  ASSERT_TRUE(kv->Reserve(s, 5));
  kv->Commit(s, a.data(), 5);
  kv->FreeSequence(s);  // blocks [1,2] [3,4] cached
  // Fill the pool with other content: every cached block is evicted and reused.
  std::vector<int32_t> b = {9, 9, 8, 8, 7, 7, 6};
  int64_t t = kv->AddSequence(b, &cached);
  EXPECT_EQ(cached, 0);
  ASSERT_TRUE(kv->Reserve(t, 7));
  kv->Commit(t, b.data(), 7);
  kv->FreeSequence(t);
  // The old second block must not match under a new parent with the old id.
  std::vector<int32_t> c = {9, 9, 3, 4, 1};
  int64_t u = kv->AddSequence(c, &cached);
  EXPECT_EQ(cached, 2);  // only [9, 9]
  kv->FreeSequence(u);
}

TEST(KvCache, RowsAddressTheirBlock) {
  auto kv = MakeCache(4, 6);
  int64_t cached;
  std::vector<int32_t> p = Iota(6);
  int64_t s = kv->AddSequence(p, &cached);
  ASSERT_TRUE(kv->Reserve(s, 6));
  const int32_t b1 = kv->block_table(s)[1];
  EXPECT_EQ(kv->KRow(s, 1, 5), kv->k_pool(1) + b1 * kv->block_stride() + 1 * 2 * 8);
  EXPECT_EQ(kv->VRow(s, 0, 0), kv->v_pool(0) + kv->block_table(s)[0] * kv->block_stride());
}

}  // namespace
}  // namespace seek
