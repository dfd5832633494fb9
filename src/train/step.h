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

//
// Data parallel (`sync` not null): micro_batches are this rank's slices of
// the global micro-batches and `global_targets` counts the target tokens of
// the whole global step (every rank's slices); the gradients are summed over
// sync's group during the last micro-batch's backward, the loss is the
// global mean, and with ZeRO-1 the optimizer holds this rank's shard only.
StatusOr<StepResult> AccumulateAndStep(Transformer* model, AdamWOptimizer* optimizer,
                                       const std::vector<Batch>& micro_batches, double grad_clip,
                                       double lr, DynamicLossScaler* scaler = nullptr,
                                       GradientSync* sync = nullptr, int64_t global_targets = -1);

}  // namespace seek
