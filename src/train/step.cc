#include "train/step.h"

#include <cmath>

#include "core/profile.h"

namespace seek {

StatusOr<StepResult> AccumulateAndStep(Transformer* model, AdamWOptimizer* optimizer,
                                       const std::vector<Batch>& micro_batches, double grad_clip,
                                       double lr, DynamicLossScaler* scaler) {
  StepResult r;
  for (const Batch& b : micro_batches)
    for (int64_t i = 0; i < b.B * b.T; ++i) r.n_targets += b.targets[i] != -1;
  ParamStore& params = model->params();
  {
    PROFILE_SCOPE("zero gradients");
    params.ZeroGrad();
  }
  r.loss_scale = scaler ? scaler->scale() : 1.0;
  const float scale = r.n_targets ? static_cast<float>(r.loss_scale / static_cast<double>(r.n_targets)) : 0.f;
  double loss_sum = 0;
  for (const Batch& b : micro_batches) {
    ASSIGN_OR_RETURN(LossResult l, model->ForwardBackward(b, scale));
    loss_sum += l.loss_sum;
  }
  r.loss = r.n_targets ? loss_sum / r.n_targets : 0.0;
  AdamWOptimizer::Clip clip;
  {
    PROFILE_SCOPE("gradient norm");
    clip = optimizer->ClipFactor(params, grad_clip, 1.0 / r.loss_scale);
  }
  r.grad_norm = clip.norm;
  r.finite = std::isfinite(r.loss) && std::isfinite(r.grad_norm);
  if (scaler) {
    r.overflow = !std::isfinite(r.grad_norm);
    RETURN_IF_ERROR(scaler->Update(r.overflow));
  }
  if (r.finite) {
    PROFILE_SCOPE("adamw");
    optimizer->Step(&params, lr, clip.grad_scale);  // the clip factor applied inside the update
  }
  return r;
}

}  // namespace seek
