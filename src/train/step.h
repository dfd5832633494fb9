// train/step.h — one optimizer step over a group of micro-batches.
//
// Gradient accumulation: the step's loss is the sum of every micro-batch's
// token losses divided by the number of target tokens in ALL of them, so a
// step over A micro-batches equals one step over their union. Then global-norm
// clipping and one AdamW update at `lr` — unless the loss or the gradient is
// not finite, in which case nothing is updated and the result says so.
// With a loss scaler (fp16), the loss is multiplied by its scale before
// backward and the gradients divided by it before clipping; a step with an
// inf/NaN gradient is an overflow: skipped, and the scaler backs off.
#pragma once

#include <vector>

#include "core/status.h"
#include "model/transformer.h"
#include "model/shard.h"
#include "train/dist/data_parallel.h"
#include "train/loss_scaler.h"
#include "train/optimizer.h"

namespace seek {

struct StepResult {
  double loss = 0;       // mean over the step's target tokens
  double grad_norm = 0;  // before clipping
  int64_t n_targets = 0;
  bool finite = true;    // false: the update was not applied
  bool overflow = false; // with a loss scaler: a gradient overflowed (finite is false too)
  double loss_scale = 1; // the scale this step ran with
};


// How a step's numbers combine over the ranks of a distributed job.
// micro_batches are then this rank's rows of the global micro-batches.
struct StepParallel {
  // Sums the gradients over the data-parallel group during the last
  // micro-batch's backward (null: dp == 1); with ZeRO-1 the optimizer holds
  // this rank's shard only.
  GradientSync* dp = nullptr;
  Communicator* world = nullptr;  // the loss and the squared gradient norm are summed over it
  ModelShard shard;               // tensor parallel: replicated tensors count once in the norm
  bool count_loss = true;         // this rank's loss enters the sum (one rank per model replica)
  int64_t global_targets = 0;     // target tokens of the whole global step, every rank's rows
};

StatusOr<StepResult> AccumulateAndStep(Transformer* model, AdamWOptimizer* optimizer,
                                       const std::vector<Batch>& micro_batches, double grad_clip,
                                       double lr, DynamicLossScaler* scaler = nullptr,
                                       const StepParallel* parallel = nullptr);

// The step's loss sum and squared gradient norm over the whole job, the
// same on every rank: sums[0] <- the loss summed over the ranks that count
// it (local_loss from each), sums[1] <- the squared norm, each rank adding
// its share (its ZeRO-1 shard, or the whole reduced gradient on data-
// parallel rank 0 alone; TpLocalGradSquares's rules within a replica).
// One all-reduce.
Status SumOverJob(const StepParallel& parallel, const ParamStore& params, double local_loss, double sums[2]);

// The end of every step: records the norm, skips a non-finite step (an fp16
// overflow backs the scaler off), else one AdamW update with the clip factor
// and, with ZeRO-1, the all-gather of the new parameters.
Status ApplyUpdate(StepResult* r, const AdamWOptimizer::Clip& clip, ParamStore* params, AdamWOptimizer* optimizer,
                   double lr, DynamicLossScaler* scaler, GradientSync* sync);

}  // namespace seek
