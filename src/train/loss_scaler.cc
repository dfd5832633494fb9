#include "train/loss_scaler.h"

#include <cmath>

namespace seek {

Status LossScalerOptions::Validate() const {
  if (!(initial_scale > 0) || !std::isfinite(initial_scale))
    return InvalidArgumentError("initial_loss_scale {} must be > 0", initial_scale);
  if (!(min_scale > 0) || min_scale > initial_scale)
    return InvalidArgumentError("min_loss_scale {} must be in (0, initial_loss_scale = {}]", min_scale,
                                initial_scale);
  if (!(growth_factor > 1) || !std::isfinite(growth_factor))
    return InvalidArgumentError("loss scale: growth_factor {} must be > 1", growth_factor);
  if (!(backoff_factor > 0 && backoff_factor < 1))
    return InvalidArgumentError("loss scale: backoff_factor {} must be in (0, 1)", backoff_factor);
  if (growth_interval < 1) return InvalidArgumentError("loss_scale_window {} must be >= 1", growth_interval);
  if (hysteresis < 1) return InvalidArgumentError("hysteresis {} must be >= 1", hysteresis);
  return Status::Ok();
}

DynamicLossScaler::DynamicLossScaler(const LossScalerOptions& o) : o_(o) {
  state_.scale = o.initial_scale;
  state_.growth_tracker = 0;
  state_.hysteresis_tracker = o.hysteresis;
}

Status DynamicLossScaler::Update(bool found_inf) {
  if (found_inf) {
    LossScalerState next = state_;
    next.growth_tracker = 0;
    next.hysteresis_tracker -= 1;
    if (next.hysteresis_tracker <= 0) {
      const double backed_off = next.scale * o_.backoff_factor;
      if (backed_off < o_.min_scale)
        return InvalidArgumentError(
            "fp16 gradients still overflow at the minimum loss scale {} (scale {} would become {}): the run "
            "has diverged or fp16 cannot hold these values; lower the learning rate, use bf16, or set a "
            "lower min_scale", o_.min_scale, state_.scale, backed_off);
      next.scale = backed_off;
    }
    state_ = next;
    return Status::Ok();
  }
  if (++state_.growth_tracker == o_.growth_interval) {
    state_.growth_tracker = 0;
    state_.hysteresis_tracker = o_.hysteresis;
    state_.scale *= o_.growth_factor;
  }
  return Status::Ok();
}

Status DynamicLossScaler::Restore(const LossScalerState& s) {
  if (!(s.scale >= o_.min_scale) || !std::isfinite(s.scale))
    return InvalidArgumentError("checkpoint loss scale {} is below min_scale {} or not finite", s.scale, o_.min_scale);
  if (s.growth_tracker < 0 || s.growth_tracker >= o_.growth_interval)
    return InvalidArgumentError("checkpoint loss-scale growth counter {} is outside [0, {})", s.growth_tracker,
                                o_.growth_interval);
  if (s.hysteresis_tracker > o_.hysteresis)
    return InvalidArgumentError("checkpoint loss-scale hysteresis counter {} exceeds hysteresis {}",
                                s.hysteresis_tracker, o_.hysteresis);
  state_ = s;
  return Status::Ok();
}

}  // namespace seek
