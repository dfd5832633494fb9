#include "train/step.h"

#include <cmath>

namespace seek {

StatusOr<StepResult> AccumulateAndStep(Transformer* model, AdamWOptimizer* optimizer,
                                       const std::vector<Batch>& micro_batches, double grad_clip,
                                       double lr, DynamicLossScaler* scaler) {
  StepResult r;
  for (const Batch& b : micro_batches)
    for (int64_t i = 0; i < b.B * b.T; ++i) r.n_targets += b.targets[i] != -1;
  ParamStore& params = model->params();
  params.ZeroGrad();
  r.loss_scale = scaler ? scaler->scale() : 1.0;
  const float scale = r.n_targets ? static_cast<float>(r.loss_scale / static_cast<double>(r.n_targets)) : 0.f;
  double loss_sum = 0;
  for (const Batch& b : micro_batches) {
    ASSIGN_OR_RETURN(LossResult l, model->ForwardBackward(b, scale));
    loss_sum += l.loss_sum;
  }
  r.loss = r.n_targets ? loss_sum / r.n_targets : 0.0;
  r.grad_norm = optimizer->ClipGradients(&params, grad_clip, 1.0 / r.loss_scale);
  r.finite = std::isfinite(r.loss) && std::isfinite(r.grad_norm);
  if (scaler) {
    r.overflow = !std::isfinite(r.grad_norm);
    RETURN_IF_ERROR(scaler->Update(r.overflow));
  }
  if (r.finite) optimizer->Step(&params, lr);
  return r;
}

}  // namespace seek
