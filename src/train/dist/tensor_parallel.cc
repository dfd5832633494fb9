#include "train/dist/tensor_parallel.h"

#include <algorithm>
#include <cmath>


namespace seek {

Status CommunicatorTpCollectives::AllReduceSum(float* data, int64_t n) {
  return group_->AllReduceSum(data, n);
}

Status CommunicatorTpCollectives::AllReduceMax(float* data, int64_t n) {
  const int p = group_->size();
  gathered_.resize(static_cast<size_t>(p * n));
  RETURN_IF_ERROR(group_->AllGather(data, gathered_.data(), n));
  std::copy(gathered_.begin(), gathered_.begin() + n, data);
  for (int r = 1; r < p; ++r)
    for (int64_t i = 0; i < n; ++i) data[i] = std::max(data[i], gathered_[r * n + i]);
  return Status::Ok();
}

StatusOr<AdamWOptimizer::Clip> TpClipFactor(const ParamStore& local, const ModelShard& shard,
                                            TpCollectives* group, double max_norm, double unscale) {
  // A float all-reduce of the unscaled squares (so fp16's loss-scaled
  // gradients do not overflow f32 here): 2^-24 relative is far below what
  // clipping can notice, and every rank gets the same value. A non-finite
  // gradient on any rank makes the norm non-finite on every rank, so the
  // group skips an overflowed step together.
  float squares = static_cast<float>(TpLocalGradSquares(local, shard) * unscale * unscale);
  if (shard.tp_size > 1) RETURN_IF_ERROR(group->AllReduceSum(&squares, 1));
  AdamWOptimizer::Clip c;
  c.norm = std::sqrt(static_cast<double>(squares));
  if (!std::isfinite(c.norm)) return c;  // the step will be skipped
  double coef = unscale;
  if (max_norm > 0 && max_norm / (c.norm + 1e-6) < 1.0) coef *= max_norm / (c.norm + 1e-6);
  c.grad_scale = static_cast<float>(coef);
  return c;
}

Status GatherFullParams(const ModelConfig& config, const ModelShard& shard, const ParamStore& local,
                        Communicator* group, ParamStore* full) {
  return GatherFull(config, shard, local, local.data(), group, *full, full->data());
}

Status GatherFull(const ModelConfig& config, const ModelShard& shard, const ParamStore& local,
                  const float* local_values, Communicator* group, const ParamStore& full, float* full_values) {
  std::fill(full_values, full_values + full.size(), 0.f);
  WriteShardIntoFull(config, shard, local, local_values, full, full_values,
                     /*write_replicated=*/shard.tp_rank == 0);
  for (const std::string& name : local.tied_duplicates()) {  // the first stage's copy counts
    const ParamInfo* p = full.Find(name);
    std::fill(full_values + p->offset, full_values + p->offset + p->numel(), 0.f);
  }
  if (group->size() == 1) return Status::Ok();
  return group->AllReduceSum(full_values, full.size());
}

}  // namespace seek
