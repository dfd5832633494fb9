#include "train/dist/communicator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace seek {

Status Communicator::Wait(Request& request, const char* what) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  // Spin for a millisecond (most waits are short), then poll every 0.1 ms so
  // that ranks sharing cores with busy peers do not steal their time.
  for (;;) {
    StatusOr<bool> done = request.Test();
    if (!done.ok()) {
      StopWaitingOnDestruction();
      return done.status();
    }
    if (*done) return Status::Ok();
    AnswerPings();
    const double waited = std::chrono::duration<double>(Clock::now() - start).count();
    if (waited > timeout_s_) {
      StopWaitingOnDestruction();
      const std::string silent = UnresponsiveRanks(std::min(10.0, std::max(1.0, timeout_s_ / 4)));
      return IoError("{} on rank {} did not complete within {:.3g} s (train.dist_timeout_s): {}", what,
                     world_rank(rank()), timeout_s_,
                     silent.empty() ? std::string("every rank answers; one is stuck in a different call")
                                    : "no answer from rank " + silent +
                                          " (failed, hung, or busy outside communication)");
    }
    if (waited > 1e-3) std::this_thread::sleep_for(std::chrono::microseconds(100));
    else std::this_thread::yield();
  }
}

Status Communicator::AllReduceSum(float* data, int64_t n) {
  ASSIGN_OR_RETURN(RequestPtr r, IAllReduceSum(data, n));
  return Wait(*r, "all-reduce");
}
Status Communicator::ReduceScatterSum(const float* in, float* out, int64_t n) {
  ASSIGN_OR_RETURN(RequestPtr r, IReduceScatterSum(in, out, n));
  return Wait(*r, "reduce-scatter");
}
Status Communicator::AllGather(const float* in, float* out, int64_t n) {
  ASSIGN_OR_RETURN(RequestPtr r, IAllGather(in, out, n));
  return Wait(*r, "all-gather");
}
Status Communicator::Send(const void* data, int64_t bytes, int dest, int tag) {
  ASSIGN_OR_RETURN(RequestPtr r, ISend(data, bytes, dest, tag));
  return Wait(*r, "send");
}
Status Communicator::Recv(void* data, int64_t bytes, int source, int tag) {
  ASSIGN_OR_RETURN(RequestPtr r, IRecv(data, bytes, source, tag));
  return Wait(*r, "receive");
}

namespace {

class Done : public Request {
 public:
  StatusOr<bool> Test() override { return true; }
};

class Local : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int world_rank(int r) const override { return r; }
  StatusOr<RequestPtr> IAllReduceSum(float*, int64_t) override { return RequestPtr(new Done); }
  StatusOr<RequestPtr> IReduceScatterSum(const float* in, float* out, int64_t n) override {
    if (in != out && n > 0) std::memmove(out, in, static_cast<size_t>(n) * sizeof(float));
    return RequestPtr(new Done);
  }
  StatusOr<RequestPtr> IAllGather(const float* in, float* out, int64_t n) override {
    return IReduceScatterSum(in, out, n);
  }
  StatusOr<RequestPtr> ISend(const void*, int64_t, int dest, int) override {
    return InvalidArgumentError("send to rank {} in a single-rank group", dest);
  }
  StatusOr<RequestPtr> IRecv(void*, int64_t, int source, int) override {
    return InvalidArgumentError("receive from rank {} in a single-rank group", source);
  }
  void Progress() override {}
  Status Broadcast(void*, int64_t, int root) override {
    if (root != 0) return InvalidArgumentError("broadcast root {} in a single-rank group", root);
    return Status::Ok();
  }
  Status AllReduceSumF64(double*, int64_t) override { return Status::Ok(); }
  StatusOr<double> AllReduceMax(double value) override { return value; }
  Status Barrier() override { return Status::Ok(); }
  StatusOr<std::unique_ptr<Communicator>> Split(int, int) override {
    return std::unique_ptr<Communicator>(new Local);
  }
};

}  // namespace

std::unique_ptr<Communicator> LocalCommunicator() { return std::make_unique<Local>(); }

}  // namespace seek
