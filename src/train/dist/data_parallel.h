// train/dist/data_parallel.h — data parallelism: every rank holds the whole
// model, runs its slice of each micro-batch, and the gradients are summed
// over the data-parallel group before the update.
//
// Plain mode: the gradient buffer is cut into buckets of bucket_floats from
// its end (backward finishes the last parameters first: head, final norm,
// then blocks from the top down); with overlap on, a bucket's all-reduce
// starts as soon as backward has finished every gradient in it (the model's
// GradsReadyHook), and the rest of backward runs while it travels. Every rank
// ends with the same summed gradients and takes the same AdamW step.
//
// ZeRO-1: after backward, one reduce-scatter leaves each rank the summed
// gradients of its shard only: [shard_begin, shard_end) of the flat buffer,
// ceil(size / dp) floats each (the last shard short when size does not
// divide: padded, never refused). Each rank updates its shard with its own
// optimizer state (AdamWOptimizer over the shard), then an all-gather gives
// everyone the new parameters.
//
// Gradients are SUMMED, not averaged: the trainer scales every rank's loss by
// 1 / (target tokens of the whole global step), so the sum is the gradient
// of the global mean loss, exactly what one process computes.
// Thread-safety: none; the training thread makes every call.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "model/transformer.h"
#include "train/dist/communicator.h"
#include "train/optimizer.h"

namespace seek {

struct DataParallelOptions {
  int64_t bucket_floats = int64_t{25} << 18;  // 25 MiB of f32 gradients, PyTorch DDP's default
  bool overlap = true;                        // start buckets during backward
  bool zero1 = false;                         // shard the optimizer state
};

class GradientSync {
 public:
  // `group` is the data-parallel group; `store` the model's parameters.
  GradientSync(Communicator* group, ParamStore* store, const DataParallelOptions& options);

  // Around the backward pass of a step's LAST micro-batch (earlier ones only
  // accumulate locally): Begin installs the model's hook (overlap, plain
  // mode); Finish removes it and completes the reduction: afterwards the
  // gradient buffer holds the group's sum (plain), or the shard does (ZeRO-1).
  void BeginBackward(Transformer* model);
  Status FinishBackward(Transformer* model);

  // ZeRO-1: the flat-buffer range this rank updates; plain: the whole buffer.
  int64_t shard_begin() const { return shard_begin_; }
  int64_t shard_end() const { return shard_end_; }
  bool zero1() const { return options_.zero1; }
  // ZeRO-1, after the shard's update: every rank gets every shard's parameters.
  Status GatherParameters();
  // ZeRO-1 checkpoints hold the whole state, as a single process's do, so
  // they resume on any layout: Gather (ZeRO-1 only; collective) assembles
  // every shard's moments into `full` (laid out like the whole store);
  // Scatter copies this rank's shard out of a whole state.
  Status GatherOptimizerState(const AdamWOptimizer& shard, AdamWOptimizer* full);
  void ScatterOptimizerState(const AdamWOptimizer& full, AdamWOptimizer* shard) const;
  // Sum of a per-rank partial value over the group (losses, squared norms).
  Status SumOverGroup(double* values, int64_t n) { return group_->AllReduceSumF64(values, n); }
  int rank() const { return group_->rank(); }  // in the data-parallel group

  // Seconds the last step spent waiting for gradient communication after
  // backward ended (the part not hidden under compute).
  double exposed_wait_s() const { return exposed_wait_s_; }

 private:
  void OnGradsReady(int64_t offset);  // the model's hook
  Status LaunchBucketsDownTo(int64_t offset);

  Communicator* group_;
  ParamStore* store_;
  DataParallelOptions options_;
  int64_t shard_begin_ = 0, shard_end_ = 0, shard_floats_ = 0;
  // Plain mode: buckets [begin, end), ordered from the buffer's end.
  std::vector<std::pair<int64_t, int64_t>> buckets_;
  size_t launched_ = 0;
  std::vector<RequestPtr> pending_;
  Status hook_status_;
  std::vector<float> padded_, shard_;  // ZeRO-1 scratch: [dp * shard_floats], [shard_floats]
  double exposed_wait_s_ = 0;
};

}  // namespace seek
