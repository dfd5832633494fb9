#include "train/dist/tensor_parallel.h"

#include <algorithm>

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
