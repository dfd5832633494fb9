// train/dist/communicator.h — the collectives distributed training needs,
// over MPI (`mpirun -np N seek train ...`, Slurm's `srun`), or one local rank.
//
// A Communicator is a group of ranks: the whole job (WorldCommunicator) or a
// sub-group of it (Split; the data-, tensor- and pipeline-parallel groups of
// a 3-D grid come from train/dist/grid.h). Tensors are f32 spans and the
// reduction is a sum; byte forms exist for broadcast and point-to-point.
// Every collective is made by all ranks of the group in the same order.
//
// Non-blocking forms return a Request that must be Wait-ed (or tested) before
// its buffers are touched. MPI progresses non-blocking collectives only
// inside MPI calls, so long computations that overlap communication call
// Progress() now and then (the data-parallel reducer does, between layers).
//
// Failure handling: no wait blocks forever. A wait that has not completed
// after timeout_s() seconds asks every rank of the job whether it is alive
// (a ping on a private duplicate of MPI_COMM_WORLD, answered by any rank
// that is itself inside a wait) and returns an error naming the
// ranks that did not answer. The caller then ends the job (AbortJob), since
// the other ranks are stuck in a collective that cannot complete. From that
// timeout (or any other error of a wait) on, the process is failing:
// unfinished Requests destroyed while the error unwinds no longer wait for
// their peers (which may never come). Their MPI handles and the buffers they
// own (the blocking double collectives' operands, packed pieces) are kept
// until they complete or the process ends; buffers the caller passed must
// stay alive until the job is aborted.
//
// Large tensors: any size works (MPI's int counts are handled in pieces).
// Thread-safety: one thread per process makes all calls (MPI_THREAD_FUNNELED).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace seek {

// A pending non-blocking operation. Destroying an unfinished Request waits
// for it (ignoring errors), unless a wait of this process has timed out (see
// the file comment); prefer Communicator::Wait.
class Request {
 public:
  virtual ~Request() = default;
  // True when done (and its buffers may be used); errors are Status.
  virtual StatusOr<bool> Test() = 0;
};
using RequestPtr = std::unique_ptr<Request>;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;  // in this group
  virtual int size() const = 0;
  // The job-wide rank of this group's rank r (for messages naming a rank).
  virtual int world_rank(int r) const = 0;

  // ---- non-blocking
  // data[n] <- sum over ranks of data[n].
  virtual StatusOr<RequestPtr> IAllReduceSum(float* data, int64_t n) = 0;
  // in[size * n] on every rank; out[n] <- sum over ranks of in[rank * n .. +n).
  virtual StatusOr<RequestPtr> IReduceScatterSum(const float* in, float* out, int64_t n) = 0;
  // in[n] on every rank; out[size * n] <- every rank's in, in rank order.
  virtual StatusOr<RequestPtr> IAllGather(const float* in, float* out, int64_t n) = 0;
  virtual StatusOr<RequestPtr> ISend(const void* data, int64_t bytes, int dest, int tag) = 0;
  virtual StatusOr<RequestPtr> IRecv(void* data, int64_t bytes, int source, int tag) = 0;

  // Waits (progressing MPI and answering liveness pings) until done or the
  // timeout; see the file comment.
  Status Wait(Request& request, const char* what);
  // Lets pending non-blocking operations advance; never blocks.
  virtual void Progress() = 0;

  // ---- blocking (the non-blocking forms plus Wait)
  Status AllReduceSum(float* data, int64_t n);
  Status ReduceScatterSum(const float* in, float* out, int64_t n);
  Status AllGather(const float* in, float* out, int64_t n);
  Status Send(const void* data, int64_t bytes, int dest, int tag);
  Status Recv(void* data, int64_t bytes, int source, int tag);
  // data[bytes] from `root` to every rank.
  virtual Status Broadcast(void* data, int64_t bytes, int root) = 0;
  // data[n] <- sum over ranks, in double (losses, counts, squared norms).
  virtual Status AllReduceSumF64(double* data, int64_t n) = 0;
  // The largest value over ranks (e.g. to agree on a count).
  virtual StatusOr<double> AllReduceMax(double value) = 0;
  virtual Status Barrier() = 0;

  // The sub-group of ranks passing the same color, ordered by key (MPI_Comm_split).
  virtual StatusOr<std::unique_ptr<Communicator>> Split(int color, int key) = 0;

  double timeout_s() const { return timeout_s_; }
  void set_timeout_s(double s) { timeout_s_ = s; }

 protected:
  // Called by Wait while it polls: answers other ranks' liveness pings.
  virtual void AnswerPings() {}
  // After a timeout: the job-wide ranks that did not answer a ping within
  // `grace_s` (empty for a local communicator).
  virtual std::string UnresponsiveRanks(double grace_s) { return ""; }
  // After a timeout or a failed wait: unfinished requests destroyed from now
  // on do not wait.
  virtual void StopWaitingOnDestruction() {}

 private:
  double timeout_s_ = 300;
};

// The whole job: MPI_COMM_WORLD when launched by mpirun/srun (initialising
// MPI), else a single local rank whose collectives are copies.
StatusOr<std::unique_ptr<Communicator>> WorldCommunicator();
// A single rank, for code that runs with or without a job.
std::unique_ptr<Communicator> LocalCommunicator();

// Tests only: the largest element count of one MPI call (default 2^30), so
// the code that splits big tensors into pieces can be tested on small ones.
void SetCommunicatorPieceForTesting(int64_t elements);

// Ends every process of the job with `code` (MPI_Abort), after printing
// `message` to stderr; a plain exit in a single-process run.
[[noreturn]] void AbortJob(const std::string& message, int code);

}  // namespace seek
