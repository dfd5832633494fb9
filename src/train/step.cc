#include "train/step.h"

#include <cmath>

#include "core/profile.h"
#include "kernels/adamw.h"
#include "model/tensor_parallel.h"

namespace seek {

StatusOr<StepResult> AccumulateAndStep(Transformer* model, AdamWOptimizer* optimizer,
                                       const std::vector<Batch>& micro_batches, double grad_clip,
                                       double lr, DynamicLossScaler* scaler, const StepParallel* parallel) {
  GradientSync* sync = parallel ? parallel->dp : nullptr;
  StepResult r;
  for (const Batch& b : micro_batches)
    for (int64_t i = 0; i < b.B * b.T; ++i) r.n_targets += b.targets[i] != -1;
  if (parallel) r.n_targets = parallel->global_targets;
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
  if (parallel) {
    PROFILE_SCOPE("gradient norm");
    double sums[2];
    RETURN_IF_ERROR(SumOverJob(*parallel, params, loss_sum, sums));
    loss_sum = sums[0];
    clip = AdamWOptimizer::ClipFromSumOfSquares(sums[1], grad_clip, 1.0 / r.loss_scale);
  } else {
    PROFILE_SCOPE("gradient norm");
    clip = optimizer->ClipFactor(params, grad_clip, 1.0 / r.loss_scale);
  }
  r.loss = r.n_targets ? loss_sum / r.n_targets : 0.0;
  RETURN_IF_ERROR(ApplyUpdate(&r, clip, &params, optimizer, lr, scaler, sync));
  return r;
}

Status SumOverJob(const StepParallel& parallel, const ParamStore& params, double local_loss, double sums[2]) {
  const GradientSync* sync = parallel.dp;
  sums[0] = parallel.count_loss ? local_loss : 0.0;
  sums[1] = 0.0;
  const int64_t b = sync ? sync->shard_begin() : 0, e = sync ? sync->shard_end() : params.size();
  if (!sync || sync->zero1() || sync->rank() == 0) sums[1] = TpLocalGradSquares(params, parallel.shard, b, e);
  return parallel.world->AllReduceSumF64(sums, 2);
}

Status ApplyUpdate(StepResult* r, const AdamWOptimizer::Clip& clip, ParamStore* params, AdamWOptimizer* optimizer,
                   double lr, DynamicLossScaler* scaler, GradientSync* sync) {
  r->grad_norm = clip.norm;
  r->finite = std::isfinite(r->loss) && std::isfinite(r->grad_norm);
  if (scaler) {
    r->overflow = !std::isfinite(r->grad_norm);
    RETURN_IF_ERROR(scaler->Update(r->overflow));
  }
  if (r->finite) {
    PROFILE_SCOPE("adamw");
    optimizer->Step(params, lr, clip.grad_scale);  // the clip factor applied inside the update
  }
  if (r->finite && sync) RETURN_IF_ERROR(sync->GatherParameters());  // ZeRO-1
  return Status::Ok();
}

}  // namespace seek
