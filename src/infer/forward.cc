#include "infer/forward.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"
#include "kernels/embedding.h"
#include "kernels/gemm.h"
#include "kernels/paged_attention.h"

namespace seek {

InferenceForward::InferenceForward(const Transformer* model)
    : model_(model), c_(model->config()) {
  if (c_.arch.position == PositionKind::kRope)
    rope_ = MakeRopeTable(c_.max_positions, c_.head_dim(), c_.rope_theta);
  // BlockParamsAt's table serves data and grads alike, hence the non-const base.
  float* base = const_cast<float*>(model_->params().data());
  for (int64_t l = 0; l < c_.n_layer; ++l) layers_.push_back(BlockParamsAt(model_->params(), base, l));
}

void InferenceForward::EnsureBuffers(int64_t N) {
  if (N <= cap_) return;
  const int64_t cap = std::max<int64_t>(N, 2 * cap_);
  const int64_t pad_nc = (cap * c_.hidden + 15) / 16 * 16;
  const int64_t acts = BlockActsSize(c_, 1, cap, Precision::kF32);
  mem_ = AlignedBuffer(static_cast<size_t>(acts + 2 * pad_nc) * sizeof(float));
  float* m = static_cast<float*>(mem_.data());
  acts_ = BlockActsAt(c_, 1, cap, Precision::kF32, m);
  x_a_ = m + acts;
  x_b_ = x_a_ + pad_nc;
  cap_ = cap;
}

Status InferenceForward::Forward(const std::vector<StepSequence>& step, KvCache* cache) {
  const int64_t C = c_.hidden, V = c_.vocab_size, L = c_.n_layer, D = c_.head_dim();
  const int64_t HD = c_.n_head * D, KVD = c_.n_kv_head * D;
  int64_t N = 0;
  n_logits_ = 0;
  pos_.clear();
  ids_.clear();
  for (const StepSequence& s : step) {
    if (s.n <= 0) return InvalidArgumentError("a step sequence must have at least one new token");
    const int64_t past = cache->num_tokens(s.seq);
    if (past + s.n > c_.max_positions)
      return InvalidArgumentError("sequence of {} tokens exceeds the model's max positions {}",
                                  past + s.n, c_.max_positions);
    if (cache->BlocksFor(past + s.n) > static_cast<int64_t>(cache->block_table(s.seq).size()))
      return Status(StatusCode::kInternal, "KV cache room was not reserved for the step");
    for (int64_t i = 0; i < s.n; ++i) {
      if (s.tokens[i] < 0 || s.tokens[i] >= V)
        return InvalidArgumentError("token id {} is outside the vocabulary [0, {})", s.tokens[i], V);
      pos_.push_back(static_cast<int32_t>(past + i));
      ids_.push_back(s.tokens[i]);
    }
    N += s.n;
    n_logits_ += s.want_logits;
  }
  if (N == 0) return Status::Ok();
  EnsureBuffers(N);

  const ParamStore& ps = model_->params();
  const float* wpe = c_.arch.position == PositionKind::kLearned ? ps.Param("embed.positions")
                                                               : nullptr;
  EmbeddingForward(x_a_, ids_.data(), pos_.data(), ps.Param("embed.tokens"), wpe, N, C, V,
                   c_.max_positions);

  // Paged attention descriptors; block tables are stable for the whole step.
  std::vector<PagedSequence> pseqs;
  int64_t row = 0;
  for (const StepSequence& s : step) {
    const int64_t past = cache->num_tokens(s.seq);
    pseqs.push_back(PagedSequence{row, s.n, past + s.n, cache->block_table(s.seq).data()});
    row += s.n;
  }
  PagedAttentionShape as;
  as.n_head = c_.n_head;
  as.n_kv_head = c_.n_kv_head;
  as.head_dim = D;
  as.block_size = cache->block_size();
  as.block_stride = cache->block_stride();
  as.q_stride = c_.qkv_dim();
  as.o_stride = HD;

  const BlockContext ctx{&c_, 1, N, pos_.data(), nullptr,
                         c_.arch.position == PositionKind::kRope ? &rope_ : nullptr, nullptr};
  float* x = x_a_;
  float* x_next = x_b_;
  for (int64_t l = 0; l < L; ++l) {
    BlockActs a = acts_;
    a.x_in = x;
    const BlockParams& w = layers_[l];
    BlockAttnInForward(ctx, w, a);  // a.qkv: [N, (H + 2 KVH) D]
    // Write the new keys and values into their cache slots.
    int64_t r = 0;
    for (const StepSequence& s : step) {
      const int64_t past = cache->num_tokens(s.seq);
      for (int64_t i = 0; i < s.n; ++i, ++r) {
        const float* qkv = a.qkv + r * c_.qkv_dim();
        std::memcpy(cache->KRow(s.seq, l, past + i), qkv + HD, KVD * sizeof(float));
        std::memcpy(cache->VRow(s.seq, l, past + i), qkv + HD + KVD, KVD * sizeof(float));
      }
    }
    PagedAttentionForward(as, pseqs.data(), static_cast<int64_t>(pseqs.size()), a.qkv,
                          cache->k_pool(l), cache->v_pool(l), a.attn);
    BlockAttnOutForward(ctx, w, a, x_next);
    std::swap(x, x_next);
  }

  // Final norm and LM head only for the rows that need logits.
  last_.resize(std::max<int64_t>(n_logits_, 1) * C);
  stat_a_.resize(std::max<int64_t>(n_logits_, 1));
  stat_b_.resize(std::max<int64_t>(n_logits_, 1));
  std::vector<float> rows(std::max<int64_t>(n_logits_, 1) * C);
  int64_t r = 0, k = 0;
  for (const StepSequence& s : step) {
    r += s.n;
    if (s.want_logits) std::memcpy(rows.data() + (k++) * C, x + (r - 1) * C, C * sizeof(float));
  }
  for (const StepSequence& s : step) cache->Commit(s.seq, s.tokens, s.n);
  if (n_logits_ == 0) return Status::Ok();
  const float* normf_b = ps.Find("norm_f.bias") ? ps.Param("norm_f.bias") : nullptr;
  NormForward(c_, last_.data(), stat_a_.data(), stat_b_.data(), rows.data(),
              ps.Param("norm_f.weight"), normf_b, n_logits_);
  const float* head = ps.Param(c_.tie_embeddings ? "embed.tokens" : "lm_head.weight");  // [V, C]
  logits_.resize(n_logits_ * V);
  Gemm(GemmShape{false, true, n_logits_, V, C}, 1.f, last_.data(), head, 0.f, logits_.data());
  return Status::Ok();
}

}  // namespace seek
