// train/loss_scaler.h — dynamic loss scaling for fp16 training, with
// Megatron-LM's semantics (megatron/core/optimizer/grad_scaler.py,
// DynamicGradScaler):
//   - the loss is multiplied by scale() before backward, the gradients by
//     1 / scale() after;
//   - a step whose gradients hold an inf or NaN is skipped (the caller leaves
//     parameters and optimizer moments untouched) and Update(true) runs:
//     the clean-step counter resets and the hysteresis counter drops by one;
//     once it reaches 0, every overflow multiplies the scale by
//     backoff_factor (default 0.5);
//   - Update(false) counts a clean step; after growth_interval (default
//     1,000) in a row the scale is multiplied by growth_factor (default 2)
//     and the hysteresis counter is refilled.
// Unlike Megatron, which stays at min_scale silently, an overflow that would
// take the scale below min_scale is an error: training cannot make progress
// at that point (the model has diverged or fp16 cannot represent it).
// The state (scale and both counters) goes into checkpoints, so a resumed
// run continues with the same scale sequence.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace seek {

struct LossScalerOptions {
  double initial_scale = 65536.0;  // 2^16
  double min_scale = 1.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 1000;
  int64_t hysteresis = 2;
  Status Validate() const;
};

struct LossScalerState {
  double scale = 0;
  int64_t growth_tracker = 0;
  int64_t hysteresis_tracker = 0;
  bool operator==(const LossScalerState&) const = default;
};

class DynamicLossScaler {
 public:
  // options must Validate().
  explicit DynamicLossScaler(const LossScalerOptions& options);
  double scale() const { return state_.scale; }
  // After each step's overflow check. An error when the scale would fall
  // below min_scale; the state is unchanged then.
  Status Update(bool found_inf);
  const LossScalerState& state() const { return state_; }
  // From a checkpoint; InvalidArgument when the values cannot come from this scaler.
  Status Restore(const LossScalerState& s);

 private:
  LossScalerOptions o_;
  LossScalerState state_;
};

}  // namespace seek
