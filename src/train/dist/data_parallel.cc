#include "train/dist/data_parallel.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/check.h"
#include "core/profile.h"

namespace seek {

GradientSync::GradientSync(Communicator* group, ParamStore* store, const DataParallelOptions& options)
    : group_(group), store_(store), options_(options) {
  const int64_t size = store->size(), p = group->size();
  if (options_.zero1) {
    shard_floats_ = ((size + p - 1) / p + 15) / 16 * 16;  // cache-line aligned shards
    shard_begin_ = std::min(size, group->rank() * shard_floats_);
    shard_end_ = std::min(size, shard_begin_ + shard_floats_);
  } else {
    shard_begin_ = 0;
    shard_end_ = size;
    const int64_t b = std::max<int64_t>(16, options_.bucket_floats);
    for (int64_t end = size; end > 0; end -= b) buckets_.emplace_back(std::max<int64_t>(0, end - b), end);
  }
}

void GradientSync::BeginBackward(Transformer* model) {
  launched_ = 0;
  pending_.clear();
  hook_status_ = Status::Ok();
  if (options_.zero1 || !options_.overlap || group_->size() == 1) return;
  model->SetGradsReadyHook([this](int64_t offset) { OnGradsReady(offset); });
}

void GradientSync::OnGradsReady(int64_t offset) {
  if (!hook_status_.ok()) return;
  hook_status_ = LaunchBucketsDownTo(offset);
  // Let the buckets in flight advance while the next block computes.
  for (RequestPtr& r : pending_) {
    StatusOr<bool> done = r->Test();
    if (!done.ok() && hook_status_.ok()) hook_status_ = done.status();
  }
  group_->Progress();
}

Status GradientSync::LaunchBucketsDownTo(int64_t offset) {
  for (; launched_ < buckets_.size() && buckets_[launched_].first >= offset; ++launched_) {
    const auto [b, e] = buckets_[launched_];
    ASSIGN_OR_RETURN(RequestPtr r, group_->IAllReduceSum(store_->grad() + b, e - b));
    pending_.push_back(std::move(r));
  }
  return Status::Ok();
}

Status GradientSync::FinishBackward(Transformer* model) {
  model->SetGradsReadyHook(nullptr);
  exposed_wait_s_ = 0;
  if (group_->size() == 1) return Status::Ok();
  PROFILE_SCOPE("gradient all-reduce (exposed)");
  const auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(hook_status_);
  if (!options_.zero1) {
    RETURN_IF_ERROR(LaunchBucketsDownTo(0));
    for (RequestPtr& r : pending_) RETURN_IF_ERROR(group_->Wait(*r, "gradient all-reduce"));
    pending_.clear();
  } else {
    const int64_t size = store_->size(), p = group_->size();
    padded_.resize(static_cast<size_t>(p * shard_floats_));
    shard_.resize(static_cast<size_t>(shard_floats_));
    std::memcpy(padded_.data(), store_->grad(), size * sizeof(float));
    std::fill(padded_.begin() + size, padded_.end(), 0.f);
    RETURN_IF_ERROR(group_->ReduceScatterSum(padded_.data(), shard_.data(), shard_floats_));
    std::memcpy(store_->grad() + shard_begin_, shard_.data(), (shard_end_ - shard_begin_) * sizeof(float));
  }
  exposed_wait_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

Status GradientSync::GatherParameters() {
  if (!options_.zero1 || group_->size() == 1) return Status::Ok();
  PROFILE_SCOPE("parameter all-gather");
  const int64_t size = store_->size();
  std::fill(shard_.begin(), shard_.end(), 0.f);
  std::memcpy(shard_.data(), store_->data() + shard_begin_, (shard_end_ - shard_begin_) * sizeof(float));
  RETURN_IF_ERROR(group_->AllGather(shard_.data(), padded_.data(), shard_floats_));
  std::memcpy(store_->data(), padded_.data(), size * sizeof(float));
  return Status::Ok();
}

Status GradientSync::GatherOptimizerState(const AdamWOptimizer& shard, AdamWOptimizer* full) {
  CHECK(options_.zero1);  // otherwise every rank holds the whole state already
  full->set_step(shard.step());
  const int64_t n = shard_end_ - shard_begin_, size = store_->size();
  std::vector<float> mine(static_cast<size_t>(shard_floats_)), all(static_cast<size_t>(shard_floats_ * group_->size()));
  for (int which = 0; which < 2; ++which) {
    std::fill(mine.begin(), mine.end(), 0.f);
    std::memcpy(mine.data(), which ? shard.v() : shard.m(), n * sizeof(float));
    RETURN_IF_ERROR(group_->AllGather(mine.data(), all.data(), shard_floats_));
    std::memcpy(which ? full->v() : full->m(), all.data(), size * sizeof(float));
  }
  return Status::Ok();
}

void GradientSync::ScatterOptimizerState(const AdamWOptimizer& full, AdamWOptimizer* shard) const {
  shard->set_step(full.step());
  const int64_t n = shard_end_ - shard_begin_;
  std::memcpy(shard->m(), full.m() + shard_begin_, n * sizeof(float));
  std::memcpy(shard->v(), full.v() + shard_begin_, n * sizeof(float));
}

}  // namespace seek
