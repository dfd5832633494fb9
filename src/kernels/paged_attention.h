// kernels/paged_attention.h — causal attention of new query rows over keys and
// values kept in a paged (block) cache, f32. The inference engine's attention.
//
// A step packs the new tokens of several sequences end to end, with no
// padding: sequence s owns query rows [q_begin, q_begin + n_q) of q and out.
// Its keys/values 0..n_ctx-1 (the n_q new ones included, already written)
// live in blocks: key j sits in physical block block_table[j / block_size],
// row j % block_size. Query i of the sequence is at absolute position
// n_ctx - n_q + i and sees keys 0..that position (causal, one document).
// Grouped-query attention as in attention.h: query head h reads kv head
// h / (n_head / n_kv_head).
// Pools: block b's keys start at k_pool + b * block_stride, laid out
// [block_size, n_kv_head, head_dim]; values likewise from v_pool.
// Threading: spreads over OpenMP threads by (query row, kv head); no state.
#pragma once

#include <cstdint>

namespace seek {

struct PagedAttentionShape {
  int64_t n_head = 1, n_kv_head = 1, head_dim = 0;
  int64_t block_size = 16;
  int64_t block_stride = 0;  // floats between consecutive physical blocks in a pool
  int64_t q_stride = 0;      // floats between query rows; 0: n_head * head_dim
  int64_t o_stride = 0;      // floats between output rows; 0: n_head * head_dim
  float scale = 0;           // 0: 1 / sqrt(head_dim)
};

// Sequences are packed in order: q_begin of each is the sum of the n_q before it.
struct PagedSequence {
  int64_t q_begin = 0;  // first query row in q / out
  int64_t n_q = 0;      // new query rows, >= 1
  int64_t n_ctx = 0;    // keys in the cache, >= n_q
  const int32_t* block_table = nullptr;  // [ceil(n_ctx / block_size)]
};

// q: [rows, n_head, head_dim] (q_stride); out: [rows, n_head, head_dim] (o_stride).
void PagedAttentionForward(const PagedAttentionShape& s, const PagedSequence* seqs,
                           int64_t n_seqs, const float* q, const float* k_pool,
                           const float* v_pool, float* out);
// Reference twin: gathers each sequence's keys and values into dense arrays,
// plain loops, double accumulation, full softmax.
void PagedAttentionForwardRef(const PagedAttentionShape& s, const PagedSequence* seqs,
                              int64_t n_seqs, const float* q, const float* k_pool,
                              const float* v_pool, float* out);

}  // namespace seek
