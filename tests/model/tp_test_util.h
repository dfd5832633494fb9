// Tensor parallelism without MPI: tp ranks as std::threads of one process,
// whose collectives meet at a barrier. Each rank reduces all ranks' buffers
// in rank order, so every rank gets bitwise the same result (as MPI's
// all-reduce gives). Used by the model and train tests.
// Only one rank computes at a time (a baton, released while a rank waits in
// a collective): oneDNN as built shares one scratchpad between primitives
// (DNNL_ENABLE_CONCURRENT_EXEC off) and kernels/gemm.cc one stream, so two
// ranks' GEMMs must not overlap in one process.
#pragma once

#include <barrier>
#include <cmath>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "model/tensor_parallel.h"

namespace seek::testing {

class ThreadTpGroup {
 public:
  explicit ThreadTpGroup(int size) : size_(size), barrier_(size), ptrs_(size) {}
  int size() const { return size_; }

  Status Reduce(int rank, float* data, int64_t n, bool max) {
    ptrs_[rank] = data;
    baton_.unlock();
    barrier_.arrive_and_wait();
    std::vector<float> out(ptrs_[0], ptrs_[0] + n);
    for (int r = 1; r < size_; ++r)
      for (int64_t i = 0; i < n; ++i)
        out[i] = max ? std::max(out[i], ptrs_[r][i]) : out[i] + ptrs_[r][i];
    barrier_.arrive_and_wait();  // every rank has read every buffer
    std::copy(out.begin(), out.end(), data);
    ++calls_[rank];
    baton_.lock();
    return Status::Ok();
  }
  int64_t calls(int rank) const { return calls_[rank]; }

  // Runs fn(rank) on `size` threads and joins them.
  void Run(const std::function<void(int)>& fn) {
    std::vector<std::thread> threads;
    for (int r = 0; r < size_; ++r)
      threads.emplace_back([this, &fn, r] {
        std::lock_guard<std::mutex> hold(baton_);
        fn(r);
      });
    for (std::thread& t : threads) t.join();
  }

 private:
  int size_;
  std::barrier<> barrier_;
  std::vector<float*> ptrs_;
  std::mutex baton_;  // held by the rank that computes
  std::vector<int64_t> calls_ = std::vector<int64_t>(64, 0);
};

class ThreadTpCollectives : public TpCollectives {
 public:
  ThreadTpCollectives(ThreadTpGroup* group, int rank) : group_(group), rank_(rank) {}
  Status AllReduceSum(float* data, int64_t n) override {
    return group_->Reduce(rank_, data, n, false);
  }
  Status AllReduceMax(float* data, int64_t n) override {
    return group_->Reduce(rank_, data, n, true);
  }

 private:
  ThreadTpGroup* group_;
  int rank_;
};

// max |a - b| / max |ref| over a tensor (0 when both are all zero): a
// relative measure that tiny elements do not dominate.
inline double MaxRelDiff(const float* a, const float* ref, int64_t n) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - ref[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(ref[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

// ||a - b||_2 / ||ref||_2 over a tensor (0 when both are all zero).
inline double L2RelDiff(const float* a, const float* ref, int64_t n) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - ref[i];
    diff += d * d;
    scale += static_cast<double>(ref[i]) * ref[i];
  }
  return scale > 0 ? std::sqrt(diff / scale) : std::sqrt(diff);
}

}  // namespace seek::testing
