#include "model/transformer.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"
#include "core/profile.h"
#include "kernels/cross_entropy.h"
#include "kernels/embedding.h"
#include "kernels/gemm.h"

namespace seek {
namespace {
int64_t Pad(int64_t n) { return (n + 15) / 16 * 16; }
}  // namespace

StatusOr<std::unique_ptr<Transformer>> Transformer::Create(const ModelConfig& config) {
  return Create(config, ModelShard{}, nullptr);
}

StatusOr<std::unique_ptr<Transformer>> Transformer::Create(const ModelConfig& config,
                                                           const ModelShard& shard,
                                                           TpCollectives* collectives) {
  RETURN_IF_ERROR(config.Validate("model config"));
  RETURN_IF_ERROR(ValidateTensorParallel(config, shard));
  const int64_t end = shard.layer_end < 0 ? config.n_layer : shard.layer_end;
  if (shard.layer_begin < 0 || shard.layer_begin >= end || end > config.n_layer)
    return InvalidArgumentError("pipeline stage layers [{}, {}) must be a non-empty range within "
                                "the model's {} layers",
                                shard.layer_begin, end, config.n_layer);
  if (shard.tp_size > 1 && collectives == nullptr)
    return InvalidArgumentError("tensor parallel size {} needs collectives", shard.tp_size);
  return std::unique_ptr<Transformer>(new Transformer(config, shard, collectives));
}

Transformer::Transformer(const ModelConfig& config, const ModelShard& shard,
                         TpCollectives* collectives)
    : config_(config),
      shard_(shard),
      local_(TpLocalConfig(config, shard)),
      tp_(shard, collectives),
      vocab_(TpVocabRange(config, shard)),
      // The tensor-parallel slice is local_; the pipeline stage picks from it.
      params_(local_, ModelShard{0, 1, shard.layer_begin, shard.layer_end}) {
  if (config_.arch.position == PositionKind::kRope)
    rope_ = MakeRopeTable(config_.max_positions, config_.head_dim(), config_.rope_theta);
}

Status Transformer::ValidateBatch(const Batch& b) const {
  if (b.B <= 0 || b.T <= 0)
    return InvalidArgumentError("batch shape [{}, {}] must be positive", b.B, b.T);
  if (b.tokens == nullptr) return InvalidArgumentError("batch has no tokens");
  const int64_t V = config_.vocab_size, N = b.B * b.T;
  for (int64_t i = 0; i < N; ++i) {
    if (b.tokens[i] < 0 || b.tokens[i] >= V)
      return InvalidArgumentError("token id {} at position {} of row {} is outside the vocabulary "
                                  "[0, {})",
                                  b.tokens[i], i % b.T, i / b.T, V);
    if (b.targets && (b.targets[i] < -1 || b.targets[i] >= V))
      return InvalidArgumentError("target {} at position {} of row {} must be -1 (ignore) or in "
                                  "[0, {})",
                                  b.targets[i], i % b.T, i / b.T, V);
  }
  if (b.T > config_.max_positions)
    return InvalidArgumentError("sequence length {} exceeds the model's max positions {}", b.T,
                                config_.max_positions);
  return Status::Ok();
}

Status Transformer::SetRecompute(const RecomputeConfig& r) {
  if (r.every < 1)
    return InvalidArgumentError("activation checkpointing every = {} must be at least 1", r.every);
  recompute_ = r;
  // Re-plan at the next call; free the old plan now so the two never coexist.
  act_mem_ = AlignedBuffer();
  acts_.clear();
  slot_acts_.clear();
  buf_B_ = buf_T_ = 0;
  return Status::Ok();
}

Status Transformer::SetActivationSlots(int n) {
  if (n < 1) return InvalidArgumentError("activation slots = {} must be at least 1", n);
  if (n == slots_) return Status::Ok();
  slots_ = n;
  slot_ = 0;
  act_mem_ = AlignedBuffer();  // re-plan at the next call, as SetRecompute
  acts_.clear();
  slot_acts_.clear();
  buf_B_ = buf_T_ = 0;
  return Status::Ok();
}

void Transformer::UseActivationSlot(int k) {
  CHECK(k >= 0 && k < slots_);
  slot_ = k;
  if (slot_acts_.empty()) return;  // bound when the buffers are planned
  acts_ = slot_acts_[k];
  x_final_ = slot_x_final_[k];
  embed_out_ = acts_[0].x_in;
}

// The 16-bit copies rounded on the way into a multiply: of the linear
// inputs only the attention output (the norms and the MLP activation are
// stored rounded by their producers), and of the output gradients the
// widest (the LM head's d logits only under TP: otherwise the loss rounds
// them over the logits).
int64_t Transformer::LowpInputHalves(int64_t B, int64_t T) const {
  return precision_ == Precision::kF32 ? 0 : Pad(B * T * local_.n_head * local_.head_dim());
}

int64_t Transformer::LowpScratchHalves(int64_t B, int64_t T) const {
  if (precision_ == Precision::kF32) return 0;
  const ModelConfig& c = local_;
  // d logits are rounded in the logits' own memory (DlogitsIn16Bits) unless
  // tensor parallelism splits them.
  const int64_t widest =
      std::max({c.hidden, c.qkv_dim(), UpRows(c), DlogitsIn16Bits() ? int64_t{0} : c.vocab_size});
  return LowpInputHalves(B, T) + Pad(B * T * widest);
}

int64_t Transformer::ActivationFloats(int64_t B, int64_t T) const {
  const ModelConfig& c = local_;
  const int64_t N = B * T, C = c.hidden;
  int64_t layers = 0;
  for (int64_t l = params_.layer_begin(); l < params_.layer_end(); ++l)
    layers += recompute_.Checkpointed(l) ? CheckpointedActsSize(c, B, T, precision_, recompute_.mode)
                                         : BlockActsSize(c, B, T, precision_);
  // The logits and the recompute workspace share one piece (EnsureBuffers).
  const int64_t logits = params_.last_stage() ? N * c.vocab_size : 0;
  const int64_t shared = std::max(Pad(logits), RecomputeWorkspaceSize(c, B, T, precision_, recompute_.mode));
  // x_final_, dresid_ and normf_ (a GEMM operand: 16-bit in a 16-bit mode).
  return layers + 2 * Pad(N * C) + Pad(OperandFloats(N * C, precision_)) + 3 * Pad(N) + shared +
         BlockGradScratchSize(c, B, T) +
         (slots_ - 1) * (layers + Pad(N * C));  // the pipeline's further activation slots
}

void Transformer::EnsureBuffers(int64_t B, int64_t T) {
  if (B == buf_B_ && T == buf_T_) return;
  const ModelConfig& c = local_;
  const int64_t N = B * T, C = c.hidden, L = num_local_layers(), l0 = params_.layer_begin();
  const int64_t total = ActivationFloats(B, T);
  act_mem_ = AlignedBuffer();  // free the old shape's memory before taking the new one
  act_mem_ = AlignedBuffer(static_cast<size_t>(total) * sizeof(float));
  float* const begin = static_cast<float*>(act_mem_.data());
  float* mem = begin;
  auto take = [&](int64_t n) {
    float* p = mem;
    mem += Pad(n);
    return p;
  };
  // Per-layer activations first; a checkpointed block's dropped pieces live
  // in the workspace, carved further down.
  std::vector<float*> kept(L);
  for (int64_t l = 0; l < L; ++l)
    kept[l] = take(recompute_.Checkpointed(l0 + l) ? CheckpointedActsSize(c, B, T, precision_, recompute_.mode)
                                              : BlockActsSize(c, B, T, precision_));
  x_final_ = take(N * C);
  normf_ = take(OperandFloats(N * C, precision_));
  normf_mean_ = take(N);
  normf_rstd_ = take(N);
  // The recompute workspace is live only while blocks run: in forward before
  // the LM head writes the logits, in backward after the LM head's backward
  // has consumed their gradient. The logits are dead exactly then, so the two
  // share memory (the logits are often the larger: N x vocab).
  const int64_t ws = RecomputeWorkspaceSize(c, B, T, precision_, recompute_.mode);
  logits_ = take(std::max(params_.last_stage() ? N * c.vocab_size : 0, ws));
  recompute_ws_ = ws > 0 ? logits_ : nullptr;
  losses_ = take(N);
  dresid_ = take(N * C);
  scratch_ = BlockGradScratchAt(c, B, T, take(BlockGradScratchSize(c, B, T)));
  auto acts_at = [&](int64_t l, float* mem) {
    return recompute_.Checkpointed(l0 + l)
               ? CheckpointedActsAt(c, B, T, precision_, recompute_.mode, mem, recompute_ws_)
               : BlockActsAt(c, B, T, precision_, mem);
  };
  // Slot 0 is the pieces above; further slots (pipeline stages) get their own
  // block activations and output. The workspace is shared: the blocks rebuild
  // what they dropped from what their slot kept.
  slot_acts_.assign(slots_, {});
  slot_x_final_.assign(slots_, x_final_);
  for (int64_t l = 0; l < L; ++l) slot_acts_[0].push_back(acts_at(l, kept[l]));
  for (int s = 1; s < slots_; ++s) {
    for (int64_t l = 0; l < L; ++l)
      slot_acts_[s].push_back(acts_at(l, take(recompute_.Checkpointed(l0 + l)
                                                  ? CheckpointedActsSize(c, B, T, precision_, recompute_.mode)
                                                  : BlockActsSize(c, B, T, precision_))));
    slot_x_final_[s] = take(N * C);
  }
  CHECK(mem - begin == total);
  UseActivationSlot(slot_);
  pos_.assign(N, 0);
  // Conversion scratch for the widest linear layer's input and output; only
  // the 16-bit modes read it (31 MB for the benchmark model at 8K tokens).
  lowp_mem_ = AlignedBuffer();
  lowp_mem_ = AlignedBuffer(static_cast<size_t>(LowpScratchHalves(B, T)) * sizeof(uint16_t));
  lowp_.x = static_cast<uint16_t*>(lowp_mem_.data());
  lowp_.dy = lowp_.x ? lowp_.x + LowpInputHalves(B, T) : nullptr;
  lowp_.x_halves = LowpInputHalves(B, T);
  lowp_.dy_halves = LowpScratchHalves(B, T) - lowp_.x_halves;
  buf_B_ = B;
  buf_T_ = T;
}

void Transformer::ComputePositions(const Batch& b) {
  for (int64_t r = 0; r < b.B; ++r) {
    int32_t p = 0;
    for (int64_t t = 0; t < b.T; ++t) {
      const int64_t i = r * b.T + t;
      if (t > 0 && b.doc_ids && b.doc_ids[i] != b.doc_ids[i - 1]) p = 0;
      pos_[i] = p++;
    }
  }
}

void Transformer::RefreshLowpWeights() {
  lowp_.precision = precision_;
  if (precision_ == Precision::kF32) return;
  PROFILE_SCOPE("16-bit weight copy");
  const size_t bytes = static_cast<size_t>(params_.size()) * sizeof(uint16_t);
  if (params_lp_.size() != bytes) params_lp_ = AlignedBuffer(bytes);
  lowp_.params = params_.data();
  lowp_.params_lp = static_cast<const uint16_t*>(params_lp_.data());
  uint16_t* lp = static_cast<uint16_t*>(params_lp_.data());
  if (stochastic_rounding_ && precision_ == Precision::kBf16)
    ToBf16Stochastic(params_.data(), lp, params_.size(), rounding_seed_);
  else
    ToLowPrecision(precision_, params_.data(), lp, params_.size());
}

BlockContext Transformer::Context(const Batch& b) {
  return BlockContext{&local_, b.B, b.T, pos_.data(), b.doc_ids,
                      local_.arch.position == PositionKind::kRope ? &rope_ : nullptr,
                      &attn_stats_, &lowp_, &tp_};
}

LossResult Transformer::ForwardInternal(const Batch& b, const float* x_in, bool backward,
                                        float grad_scale) {
  const ModelConfig& c = local_;
  const int64_t N = b.B * b.T, C = c.hidden, V = c.vocab_size;
  const int64_t l0 = params_.layer_begin(), l1 = params_.layer_end();
  EnsureBuffers(b.B, b.T);
  ComputePositions(b);
  attn_stats_ = AttentionStats{};
  RefreshLowpWeights();

  if (params_.first_stage()) {
    const float* wpe = c.arch.position == PositionKind::kLearned
                           ? params_.Param("embed.positions") : nullptr;
    PROFILE_SCOPE("embedding");
    if (tp_.active())
      TpEmbeddingForward(tp_, vocab_, embed_out_, b.tokens, pos_.data(),
                         params_.Param("embed.tokens"), wpe, N, C);
    else
      EmbeddingForward(embed_out_, b.tokens, pos_.data(), params_.Param("embed.tokens"), wpe, N,
                       C, V, c.max_positions);
  } else {
    std::memcpy(embed_out_, x_in, sizeof(float) * N * C);
  }
  const BlockContext ctx = Context(b);
  for (int64_t l = l0; l < l1; ++l) {
    float* x_out = l + 1 < l1 ? acts_[l + 1 - l0].x_in : x_final_;
    BlockForward(ctx, BlockParamsAt(params_, params_.data(), l), acts_[l - l0], x_out);
  }
  if (!params_.last_stage()) return LossResult{};
  const float* normf_b = params_.Find("norm_f.bias") ? params_.Param("norm_f.bias") : nullptr;
  NormForwardOperand(&lowp_, c, normf_, normf_mean_, normf_rstd_, x_final_, params_.Param("norm_f.weight"),
                     normf_b, N);
  const float* head =
      params_.Param(c.tie_embeddings ? "embed.tokens" : "lm_head.weight");  // [V, C]
  LinearForward(&lowp_, logits_, Operand(&lowp_, normf_), head, nullptr, N, C, V);

  LossResult r;
  if (b.targets == nullptr) return r;
  for (int64_t i = 0; i < N; ++i) r.n_targets += b.targets[i] != kIgnoreTarget;
  PROFILE_SCOPE("cross-entropy");
  const float scale = grad_scale != 0.f ? grad_scale
                                        : (r.n_targets ? 1.f / static_cast<float>(r.n_targets) : 0.f);
  if (tp_.active()) {
    r.loss_sum = TpCrossEntropy(tp_, vocab_, backward ? logits_ : nullptr, losses_, logits_,
                                b.targets, N, scale);
    return r;
  }
  if (!backward) {
    r.loss_sum = CrossEntropyForward(losses_, logits_, b.targets, N, V);
    return r;
  }
  if (DlogitsIn16Bits())
    r.loss_sum = CrossEntropyForwardBackwardLowp(precision_, DlogitsLowp(), losses_, logits_, b.targets, N, V,
                                                 scale);
  else
    r.loss_sum = CrossEntropyForwardBackward(logits_, losses_, logits_, b.targets, N, V, scale);
  return r;
}

void Transformer::Backward(const Batch& b, const float* dy, float* dx) {
  const ModelConfig& c = local_;
  const int64_t N = b.B * b.T, C = c.hidden, V = c.vocab_size;
  const int64_t l0 = params_.layer_begin(), l1 = params_.layer_end();
  if (params_.last_stage()) {
    const char* head_name = c.tie_embeddings ? "embed.tokens" : "lm_head.weight";
    // LM head: logits = normf @ head^T; logits_ now holds d logits (in a
    // 16-bit mode rounded, in the first half of its memory).
    const LinearOperand dlogits = DlogitsIn16Bits() ? LinearOperand{nullptr, DlogitsLowp()} : LinearOperand{logits_};
    LinearBackward(&lowp_, scratch_.dnorm, params_.Grad(head_name), nullptr, dlogits, Operand(&lowp_, normf_),
                   params_.Param(head_name), N, C, V);
    if (tp_.active()) {
      PROFILE_SCOPE("tensor-parallel all-reduce");
      tp_.AllReduceSum(scratch_.dnorm, N * C);
    }
    {
      PROFILE_SCOPE("zero gradients");
      std::memset(dresid_, 0, sizeof(float) * N * C);
    }
    float* normf_db = params_.Find("norm_f.bias") ? params_.Grad("norm_f.bias") : nullptr;
    NormBackward(c, dresid_, params_.Grad("norm_f.weight"), normf_db, scratch_.dnorm, x_final_,
                 params_.Param("norm_f.weight"), normf_mean_, normf_rstd_, N);
    if (grads_ready_) grads_ready_(params_.Find("norm_f.weight")->offset);
  } else {
    std::memcpy(dresid_, dy, sizeof(float) * N * C);
  }
  const BlockContext ctx = Context(b);
  BlockContext recompute_ctx = ctx;
  recompute_ctx.stats = nullptr;  // forward counted these attention tiles already
  for (int64_t l = l1 - 1; l >= l0; --l) {
    const BlockActs& a = acts_[l - l0];
    if (recompute_.Checkpointed(l)) {
      // Same output pointer as in forward: the block rewrites identical values
      // into a buffer whose reader (block l + 1's backward, or the final
      // norm's) has already run.
      float* x_out = l + 1 < l1 ? acts_[l + 1 - l0].x_in : x_final_;
      RecomputeBlock(recompute_ctx, BlockParamsAt(params_, params_.data(), l), a, recompute_.mode,
                     x_out);
    }
    const BlockParams g = BlockParamsAt(params_, params_.grad(), l);
    BlockBackward(ctx, BlockParamsAt(params_, params_.data(), l), g, a, scratch_, dresid_);
    if (grads_ready_) grads_ready_(g.norm1_w - params_.grad());  // the block's first tensor
  }
  if (!params_.first_stage()) {
    std::memcpy(dx, dresid_, sizeof(float) * N * C);
    return;
  }
  float* dwpe = c.arch.position == PositionKind::kLearned ? params_.Grad("embed.positions")
                                                         : nullptr;
  PROFILE_SCOPE("embedding");
  if (tp_.active())
    TpEmbeddingBackward(vocab_, params_.Grad("embed.tokens"), dwpe, dresid_, b.tokens, pos_.data(),
                        N, C);
  else
    EmbeddingBackward(params_.Grad("embed.tokens"), dwpe, dresid_, b.tokens, pos_.data(), N, C);
  if (grads_ready_) grads_ready_(0);
}

namespace {
Status NeedsWholeModel(const ParamStore& p, const char* what) {
  if (p.first_stage() && p.last_stage()) return Status::Ok();
  return InvalidArgumentError("{} needs the whole model; this pipeline stage holds layers [{}, {}) "
                              "(use StageForward/StageBackward)",
                              what, p.layer_begin(), p.layer_end());
}
}  // namespace

StatusOr<LossResult> Transformer::Forward(const Batch& b) {
  RETURN_IF_ERROR(NeedsWholeModel(params_, "Forward"));
  RETURN_IF_ERROR(ValidateBatch(b));
  LossResult r = ForwardInternal(b, nullptr, /*backward=*/false, 0.f);
  RETURN_IF_ERROR(tp_.TakeStatus());
  return r;
}

StatusOr<LossResult> Transformer::ForwardBackward(const Batch& b, float grad_scale) {
  RETURN_IF_ERROR(NeedsWholeModel(params_, "ForwardBackward"));
  RETURN_IF_ERROR(ValidateBatch(b));
  if (b.targets == nullptr) return InvalidArgumentError("ForwardBackward needs targets");
  LossResult r = ForwardInternal(b, nullptr, /*backward=*/true, grad_scale);
  Backward(b, nullptr, nullptr);
  RETURN_IF_ERROR(tp_.TakeStatus());
  return r;
}

StatusOr<LossResult> Transformer::StageForward(const Batch& b, const float* x_in,
                                               float grad_scale) {
  RETURN_IF_ERROR(ValidateBatch(b));
  if (params_.last_stage() && b.targets == nullptr)
    return InvalidArgumentError("the last pipeline stage needs targets");
  if (!params_.first_stage() && x_in == nullptr)
    return InvalidArgumentError("pipeline stage from layer {} needs the previous stage's output",
                                params_.layer_begin());
  return ForwardInternal(b, x_in, /*backward=*/true, grad_scale);
}

Status Transformer::StageBackward(const Batch& b, const float* dy, float* dx) {
  if (b.B != buf_B_ || b.T != buf_T_)
    return InvalidArgumentError("StageBackward of a [{}, {}] batch after a [{}, {}] forward", b.B,
                                b.T, buf_B_, buf_T_);
  if ((!params_.last_stage() && dy == nullptr) || (!params_.first_stage() && dx == nullptr))
    return InvalidArgumentError("pipeline stage [{}, {}) needs {}", params_.layer_begin(),
                                params_.layer_end(), dy == nullptr ? "dy" : "dx");
  ComputePositions(b);  // another micro-batch's forward may have run since (activation slots)
  Backward(b, dy, dx);
  return Status::Ok();
}

}  // namespace seek
