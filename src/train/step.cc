#include "train/step.h"

#include <cmath>

#include "core/profile.h"
#include "kernels/adamw.h"

namespace seek {

StatusOr<StepResult> AccumulateAndStep(Transformer* model, AdamWOptimizer* optimizer,
                                       const std::vector<Batch>& micro_batches, double grad_clip,
                                       double lr, DynamicLossScaler* scaler, GradientSync* sync,
                                       int64_t global_targets) {
  StepResult r;
  for (const Batch& b : micro_batches)
    for (int64_t i = 0; i < b.B * b.T; ++i) r.n_targets += b.targets[i] != -1;
  if (sync) r.n_targets = global_targets;
  ParamStore& params = model->params();
  {
    PROFILE_SCOPE("zero gradients");
    params.ZeroGrad();
  }
  r.loss_scale = scaler ? scaler->scale() : 1.0;
  const float scale = r.n_targets ? static_cast<float>(r.loss_scale / static_cast<double>(r.n_targets)) : 0.f;
  double loss_sum = 0;
  for (size_t i = 0; i < micro_batches.size(); ++i) {
    const bool last = i + 1 == micro_batches.size();
    if (sync && last) sync->BeginBackward(model);
    StatusOr<LossResult> l = model->ForwardBackward(micro_batches[i], scale);
    if (sync && last) {
      Status s = sync->FinishBackward(model);
      if (l.ok()) RETURN_IF_ERROR(s);
    }
    if (!l.ok()) return l.status();
    loss_sum += l->loss_sum;
  }
  if (sync && micro_batches.empty()) RETURN_IF_ERROR(sync->FinishBackward(model));
  AdamWOptimizer::Clip clip;
  if (sync) {
    PROFILE_SCOPE("gradient norm");
    // Each rank's squared norm over its shard (ZeRO-1) or, when every rank
    // holds the whole sum, rank 0's alone; summed with the losses in one call.
    double sums[2] = {loss_sum, 0.0};
    if (sync->zero1() || sync->group().rank() == 0)
      sums[1] = SumOfSquares(params.grad() + sync->shard_begin(), sync->shard_end() - sync->shard_begin());
    RETURN_IF_ERROR(sync->SumOverGroup(sums, 2));
    loss_sum = sums[0];
    clip = AdamWOptimizer::ClipFromSumOfSquares(sums[1], grad_clip, 1.0 / r.loss_scale);
  } else {
    PROFILE_SCOPE("gradient norm");
    clip = optimizer->ClipFactor(params, grad_clip, 1.0 / r.loss_scale);
  }
  r.loss = r.n_targets ? loss_sum / r.n_targets : 0.0;
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
  if (r.finite && sync) RETURN_IF_ERROR(sync->GatherParameters());  // ZeRO-1
  return r;
}

}  // namespace seek
