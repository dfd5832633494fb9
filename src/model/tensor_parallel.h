// model/tensor_parallel.h — Megatron-style tensor parallelism as the model sees it.
//
// A tensor-parallel (TP) rank holds a slice of every layer (model/shard.h):
// QKV and MLP up are column-parallel (this rank's heads / inner rows), the
// attention output and MLP down are row-parallel (the matching input
// columns), the embedding and LM head are vocabulary-parallel (rows
// [v_begin, v_begin + V_local), V_local = ceil(V / tp), the last rank's slice
// padded with rows no token ever selects). Norms, positions and the
// row-parallel biases are replicated; their gradients come out equal on
// every rank (and equal to the single process's).
//
// Communication (forward / backward), exactly one all-reduce per attention
// and per MLP each way: after the attention output and MLP down projections
// (Megatron's g), and of the input gradient of the QKV and up projections
// (Megatron's f). Plus one for the vocabulary-parallel embedding, three for
// the vocabulary-parallel cross-entropy (max, sum of exps and target logit)
// and one for the LM head's input gradient.
//
// The model does not depend on train/: it calls TpCollectives, which
// train/dist/ implements over its Communicator (and tests over threads).
//
// A rank's local config (TpLocalConfig) is the full config with n_head,
// n_kv_head, intermediate and vocab_size divided and head_dim kept, so the
// block code, activation sizes and ParamStore::Layout all work on it as on
// a smaller model. Parameter names are the full model's.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "model/config.h"
#include "model/params.h"
#include "model/shard.h"

namespace seek {

// The collectives a TP group provides. Every rank of the group makes the
// same calls in the same order; results must be identical on every rank.
class TpCollectives {
 public:
  virtual ~TpCollectives() = default;
  // data[n] <- sum over the group's ranks of data[n].
  virtual Status AllReduceSum(float* data, int64_t n) = 0;
  // data[n] <- elementwise max over the group's ranks.
  virtual Status AllReduceMax(float* data, int64_t n) = 0;
};

// Checks that tp divides heads, KV heads and the MLP width and that the rank
// is in range; the message names the values.
Status ValidateTensorParallel(const ModelConfig& config, const ModelShard& shard);

// This rank's vocabulary rows: [begin, begin + local) of which the first
// `valid` are real (the rest pad the last rank's slice).
struct VocabRange {
  int64_t begin = 0, local = 0, valid = 0;
};
VocabRange TpVocabRange(const ModelConfig& config, const ModelShard& shard);

// The config whose parameters and activations are this rank's (see top).
// tp_size == 1: the config itself.
ModelConfig TpLocalConfig(const ModelConfig& config, const ModelShard& shard);

// The layout of a rank's ParamStore (its local shapes, full names).
// ParamStore::Layout(config, shard) is this.
std::vector<ParamInfo> TpLayout(const ModelConfig& config, const ModelShard& shard);

// True for tensors every TP rank holds whole (norms, positions, the
// row-parallel biases).
bool TpReplicated(const std::string& name);

// Copies this rank's slice of each tensor from `full_values` (laid out as
// `full`, e.g. full.data()) into `local_values` (laid out as `local`);
// padded vocabulary rows are zeroed.
void ReadShardFromFull(const ModelConfig& config, const ModelShard& shard, const ParamStore& full,
                       const float* full_values, const ParamStore& local, float* local_values);
// The inverse: writes this rank's slices into a full-layout buffer (padding
// dropped). Replicated tensors are written only when write_replicated, so
// zero-filled buffers summed over ranks (one rank writing replicated ones)
// hold the full model.
void WriteShardIntoFull(const ModelConfig& config, const ModelShard& shard, const ParamStore& local,
                        const float* local_values, const ParamStore& full, float* full_values,
                        bool write_replicated);
// local's weights <- this rank's slice of full's (a TP run initialises the
// full store from the seed, then slices: the same numbers as one process).
void ShardParams(const ModelConfig& config, const ModelShard& shard, const ParamStore& full,
                 ParamStore* local);

// Sum of squares of this rank's gradients (the floats [begin, end) of its
// store; end -1: all) with replicated tensors counted on TP rank 0 only and
// a pipeline stage's tied embedding copy left to the first stage, so the sum
// over the model's ranks (and over data-parallel shards) is the full
// model's (for global-norm clipping). Neither applies: one plain sum over
// the span.
double TpLocalGradSquares(const ParamStore& local, const ModelShard& shard, int64_t begin = 0,
                          int64_t end = -1);

// What the blocks and the Transformer call: the group (or none), the rank,
// and the first collective error. Collectives become no-ops after an error;
// the Transformer returns it when its call ends (TakeStatus).
class TensorParallel {
 public:
  TensorParallel() = default;
  TensorParallel(const ModelShard& shard, TpCollectives* collectives)
      : rank_(shard.tp_rank), size_(shard.tp_size), collectives_(collectives) {}
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool active() const { return size_ > 1; }
  void AllReduceSum(float* data, int64_t n);
  void AllReduceMax(float* data, int64_t n);
  Status TakeStatus() {
    Status s = status_;
    status_ = Status::Ok();
    return s;
  }

 private:
  int rank_ = 0, size_ = 1;
  TpCollectives* collectives_ = nullptr;
  Status status_;
};

// Vocabulary-parallel embedding: out[N, C] = wte_local[ids - v.begin] for ids
// in this rank's range (0 otherwise), + wpe[pos] on rank 0, then summed over
// the group. ids are global.
void TpEmbeddingForward(TensorParallel& tp, const VocabRange& v, float* out, const int32_t* ids,
                        const int32_t* pos, const float* wte, const float* wpe, int64_t N,
                        int64_t C);
// dwte_local[ids - v.begin] += dout for ids in range; dwpe[pos] += dout
// (every rank: dout is replicated, so is dwpe's gradient).
void TpEmbeddingBackward(const VocabRange& v, float* dwte, float* dwpe, const float* dout,
                         const int32_t* ids, const int32_t* pos, int64_t N, int64_t C);
// Vocabulary-parallel softmax cross-entropy over local logits [N, v.local]
// (the padded columns excluded). losses[N] (equal on every rank); returns
// their sum. When dlogits is not null (may alias logits) also writes the
// local logits' gradient (softmax - onehot) * grad_scale (0 in padded
// columns and ignored rows).
double TpCrossEntropy(TensorParallel& tp, const VocabRange& v, float* dlogits, float* losses,
                      const float* logits, const int32_t* targets, int64_t N, float grad_scale);

}  // namespace seek
