// model/transformer.h — a config-driven decoder-only Transformer LM.
//
//   tokens -> Embedding (+ learned positions) -> n_layer x Block -> final norm
//          -> LM head (tied to the token embedding or its own) -> logits -> loss
//
// Forward and an explicit backward. Parameters and gradients live in one
// ParamStore each (contiguous). Activations are allocated once per (B, T)
// and reused, so a training step allocates nothing after the first.
// Positions restart at 0 at each document start of a packed row, so a packed
// document computes exactly what it would alone.
// A pipeline stage (model/shard.h) is the same class holding blocks
// [layer_begin, layer_end): see StageForward/StageBackward.
// Thread-safety: one call at a time per Transformer (kernels use all threads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/aligned.h"
#include "core/status.h"
#include "kernels/attention.h"
#include "kernels/rope.h"
#include "model/block.h"
#include "model/config.h"
#include "model/params.h"
#include "model/recompute.h"
#include "model/shard.h"
#include "model/tensor_parallel.h"

namespace seek {

struct Batch {
  int64_t B = 0, T = 0;
  const int32_t* tokens = nullptr;   // [B, T] in [0, vocab)
  const int32_t* targets = nullptr;  // [B, T] in [0, vocab) or -1 (no loss); null: no loss
  const int32_t* doc_ids = nullptr;  // [B, T] document of each token, or null (one per row)
};

struct LossResult {
  double loss_sum = 0;    // summed over target tokens
  int64_t n_targets = 0;  // tokens with a target != -1
  double mean() const { return n_targets ? loss_sum / n_targets : 0.0; }
};

class Transformer {
 public:
  static StatusOr<std::unique_ptr<Transformer>> Create(const ModelConfig& config);
  // A rank's part of the model (model/shard.h), either
  // - a tensor-parallel rank (model/tensor_parallel.h): params() holds this
  //   rank's slice (ParamStore::Layout(config, shard); fill it with
  //   ShardParams), logits() are this rank's vocabulary columns [N, V_local],
  //   and every Forward* makes the group's collectives through `collectives`
  //   (not owned; may be null when shard.tp_size == 1). Losses are the full
  //   model's on every rank; replicated parameters' gradients are equal on
  //   every rank; or
  // - a pipeline stage: the layer range [layer_begin, layer_end), run with
  //   StageForward/StageBackward (below).
  // Both at once are not supported yet; an empty or out-of-range layer range
  // is an error.
  static StatusOr<std::unique_ptr<Transformer>> Create(const ModelConfig& config,
                                                       const ModelShard& shard,
                                                       TpCollectives* collectives = nullptr);

  const ModelConfig& config() const { return config_; }
  // The rank's local config (== config() without tensor parallelism).
  const ModelConfig& local_config() const { return local_; }
  const ModelShard& shard() const { return shard_; }
  ParamStore& params() { return params_; }
  const ParamStore& params() const { return params_; }

  // Checks ids, targets and sizes against the config; Forward* call it.
  Status ValidateBatch(const Batch& b) const;
  // Logits for every position ([B*T, vocab] (tensor parallel: [B*T, V_local],
  // this rank's columns), valid until the next call) and
  // the loss when the batch has targets.
  StatusOr<LossResult> Forward(const Batch& b);
  const float* logits() const { return logits_; }
  // Forward and backward. Gradients ACCUMULATE (+=) into params().grad(), so
  // micro-batches sum; the trainer zeroes them. d(loss)/d(logit) is scaled by
  // grad_scale; 0 means 1 / (this batch's target count), i.e. the mean loss.
  // Afterwards logits() holds the logits' gradient, not the logits (in a
  // 16-bit mode without TP, its first half holds it as [N, V] 16-bit
  // values), unless blocks were recomputed (their workspace shares the
  // logits' memory; see EnsureBuffers): then it holds nothing defined.
  StatusOr<LossResult> ForwardBackward(const Batch& b, float grad_scale = 0.f);

  // ---- Pipeline stages. Every stage gets the whole Batch (positions and
  // document masks come from it); only the first embeds its tokens, only the
  // last reads its targets. Forward and ForwardBackward need the whole model.
  // One micro-batch's forward: x_in [B*T, C] f32 is the previous stage's
  // output (null on the first stage). A non-last stage leaves its output in
  // stage_output(); the last computes the loss and d(loss)/d(logits), scaled
  // by grad_scale as in ForwardBackward, for the StageBackward that follows.
  StatusOr<LossResult> StageForward(const Batch& b, const float* x_in, float grad_scale = 0.f);
  // Backward of the latest StageForward (whose activations are still here):
  // dy [B*T, C] f32 = d(loss)/d(stage_output()) (null on the last stage);
  // dx [B*T, C] f32 receives d(loss)/d(x_in) (null on the first stage).
  // Gradients accumulate (+=) into params().grad().
  Status StageBackward(const Batch& b, const float* dy, float* dx);
  const float* stage_output() const { return x_final_; }  // [B*T, C] f32 (non-last stages)
  // Activation slots: the block activations and output of n micro-batches at
  // once (n times their memory; re-planned at the next call), so a stage's
  // backward finds its forward's activations however many forwards came in
  // between. UseActivationSlot(k) picks the slot the next StageForward
  // writes and StageBackward reads; the final norm and logits are not
  // slotted (the last stage's backward follows its forward). A change of
  // batch shape re-plans and loses every slot.
  Status SetActivationSlots(int n);
  void UseActivationSlot(int k);  // 0 <= k < activation_slots()
  int activation_slots() const { return slots_; }

  // Mixed precision (kernels/lowp.h): the linear layers' and the LM head's
  // operands in bf16 or fp16, fp32 everywhere else. The 16-bit weight copy
  // is refreshed from the fp32 master weights at every forward.
  void SetPrecision(Precision p) {
    if (p != precision_) buf_B_ = buf_T_ = 0;  // re-plan: fp32 needs no conversion scratch
    precision_ = p;
  }
  Precision precision() const { return precision_; }
  // bf16 only: round the weight copy stochastically (kernels/lowp.h), with
  // random bits drawn from `seed` (the trainer passes one per step, so a
  // resumed run rounds exactly as the uninterrupted one).
  void SetStochasticRounding(bool on, uint64_t seed) {
    stochastic_rounding_ = on;
    rounding_seed_ = seed;
  }

  // Called during backward each time a suffix of the gradient buffer is
  // final for this call: every gradient at offset >= `offset` (floats into
  // params().grad()) is done. Offsets only decrease, ending at 0. The
  // data-parallel reducer starts all-reducing those buckets while backward
  // goes on. Null: no calls.
  using GradsReadyHook = std::function<void(int64_t offset)>;
  void SetGradsReadyHook(GradsReadyHook hook) { grads_ready_ = std::move(hook); }

  // Tile counts of the attention calls in the last forward.
  const AttentionStats& attention_stats() const { return attn_stats_; }

  // Activation checkpointing (model/recompute.h). Changes no number: losses,
  // logits and gradients are bitwise those of kNone. Takes effect at the next
  // call, which re-plans the activation memory. Errors on every < 1.
  Status SetRecompute(const RecomputeConfig& r);
  const RecomputeConfig& recompute() const { return recompute_; }
  // Bytes of activation memory (everything sized by the batch: saved block
  // activations, recompute workspace, logits, backward scratch, the 16-bit
  // modes' conversion scratch) allocated for
  // the last batch shape; 0 before the first call.
  int64_t activation_bytes() const {
    return static_cast<int64_t>(act_mem_.size() + lowp_mem_.size());
  }
  // What activation_bytes() would be for a [B, T] batch under the current
  // plan, without allocating it.
  int64_t ActivationBytesFor(int64_t B, int64_t T) const {
    return ActivationFloats(B, T) * static_cast<int64_t>(sizeof(float)) +
           LowpScratchHalves(B, T) * static_cast<int64_t>(sizeof(uint16_t));
  }

 private:
  Transformer(const ModelConfig& config, const ModelShard& shard, TpCollectives* collectives);
  void EnsureBuffers(int64_t B, int64_t T);
  int64_t ActivationFloats(int64_t B, int64_t T) const;
  int64_t LowpScratchHalves(int64_t B, int64_t T) const;  // 16-bit elements of lowp_mem_
  int64_t LowpInputHalves(int64_t B, int64_t T) const;    // of which lowp_.x
  // How the loss's backward leaves d logits in logits_: in a 16-bit mode the
  // LM head's backward reads them only as a 16-bit operand, so the loss
  // kernel writes that copy over the logits (DlogitsLowp(), [N, V] halves)
  // and no f32 gradient is stored; otherwise (and under TP, whose loss is
  // its own kernel) in f32.
  bool DlogitsIn16Bits() const { return precision_ != Precision::kF32 && !tp_.active(); }
  uint16_t* DlogitsLowp() const { return reinterpret_cast<uint16_t*>(logits_); }
  void ComputePositions(const Batch& b);
  // x_in: the stage input (null on the first stage); dy, dx: StageBackward's.
  LossResult ForwardInternal(const Batch& b, const float* x_in, bool backward, float grad_scale);
  void Backward(const Batch& b, const float* dy, float* dx);
  int64_t num_local_layers() const { return params_.layer_end() - params_.layer_begin(); }
  BlockContext Context(const Batch& b);
  void RefreshLowpWeights();  // the 16-bit weight copy, when precision_ is not fp32

  ModelConfig config_;   // the full model
  ModelShard shard_;
  ModelConfig local_;    // this rank's slice (TpLocalConfig); sizes every buffer
  TensorParallel tp_;
  VocabRange vocab_;     // this rank's vocabulary rows
  ParamStore params_;
  RopeTable rope_;
  AttentionStats attn_stats_;
  RecomputeConfig recompute_;
  GradsReadyHook grads_ready_;
  Precision precision_ = Precision::kF32;
  bool stochastic_rounding_ = false;
  uint64_t rounding_seed_ = 0;
  LowpContext lowp_;
  AlignedBuffer params_lp_;   // [params_.size()] 16-bit weights (mixed precision only)
  AlignedBuffer lowp_mem_;    // the two conversion scratch buffers

  // Activation memory for the current (B, T).
  int64_t buf_B_ = 0, buf_T_ = 0;
  AlignedBuffer act_mem_;
  // One per local layer (global l at l - layer_begin; checkpointed ones
  // partly in recompute_ws_), of slot slot_.
  std::vector<BlockActs> acts_;
  int slots_ = 1, slot_ = 0;
  std::vector<std::vector<BlockActs>> slot_acts_;  // [slots_][local layers]
  std::vector<float*> slot_x_final_;                // [slots_] each [N, C]
  float* recompute_ws_ = nullptr;  // shared by checkpointed blocks; aliases logits_
  float* embed_out_ = nullptr;   // [N, C] == acts_[0].x_in
  float* x_final_ = nullptr;     // [N, C] last block output (the stage output)
  float* normf_ = nullptr;       // [N, C]
  float* normf_mean_ = nullptr;  // [N]
  float* normf_rstd_ = nullptr;  // [N]
  float* logits_ = nullptr;      // [N, V] (last stage only; else the recompute workspace)
  float* losses_ = nullptr;      // [N]
  float* dresid_ = nullptr;      // [N, C]
  BlockGradScratch scratch_{};
  std::vector<int32_t> pos_;     // [N]
};

}  // namespace seek
