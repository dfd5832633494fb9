// The MPI implementation of train/dist/communicator.h.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "io/comm.h"
#include "train/dist/communicator.h"

namespace seek {
namespace {

// Elements per MPI call: counts are int.
int64_t g_piece = int64_t{1} << 30;


// Liveness pings travel on a private duplicate of MPI_COMM_WORLD, so they
// never match the training traffic.
MPI_Comm g_control = MPI_COMM_NULL;
constexpr int kPingTag = 1, kPongTag = 2;
std::vector<MPI_Request> g_pongs;  // answers in flight

// Set by the first failed wait: the process is failing (see
// communicator.h), and unfinished requests are abandoned, not waited for.
bool g_failing = false;
struct Abandoned {
  std::vector<MPI_Request> reqs;
  std::vector<float> scratch;
  std::vector<double> f64;
};
// Kept, with the buffers MPI may still write into, until they complete.
std::vector<Abandoned>* g_abandoned = nullptr;

// Frees the abandoned requests that have completed (if their peers came back).
void SweepAbandoned() {
  if (g_abandoned == nullptr) return;
  std::erase_if(*g_abandoned, [](Abandoned& a) {
    int flag = 0;
    MPI_Testall(static_cast<int>(a.reqs.size()), a.reqs.data(), &flag, MPI_STATUSES_IGNORE);
    return flag != 0;
  });
}

void AnswerPingsNow() {
  if (g_control == MPI_COMM_NULL) return;
  SweepAbandoned();
  for (;;) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, kPingTag, g_control, &flag, &st);
    if (!flag) break;
    int nonce = 0;
    MPI_Recv(&nonce, 1, MPI_INT, st.MPI_SOURCE, kPingTag, g_control, MPI_STATUS_IGNORE);
    g_pongs.emplace_back();
    MPI_Isend(&nonce, 0, MPI_INT, st.MPI_SOURCE, kPongTag, g_control, &g_pongs.back());
    MPI_Request_free(&g_pongs.back());  // a zero-byte message: nothing to keep alive
    g_pongs.pop_back();
  }
}


class MpiRequest : public Request {
 public:
  std::vector<MPI_Request> reqs;
  std::vector<float> scratch;   // packed pieces of large reduce-scatters / all-gathers
  std::vector<double> f64;      // the operands of the blocking double collectives
  bool done = false;

  ~MpiRequest() override {
    if (done) return;
    if (!g_failing) {
      if (!reqs.empty()) MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
      return;
    }
    if (reqs.empty() && scratch.empty() && f64.empty()) return;
    if (g_abandoned == nullptr) g_abandoned = new std::vector<Abandoned>;
    g_abandoned->push_back({std::move(reqs), std::move(scratch), std::move(f64)});
  }
  StatusOr<bool> Test() override {
    if (done) return true;
    int flag = 0;
    RETURN_IF_ERROR(MpiStatus(MPI_Testall(static_cast<int>(reqs.size()), reqs.data(), &flag,
                                          MPI_STATUSES_IGNORE),
                              "test"));
    if (!flag) return false;
    done = true;
    return true;
  }
};

class Mpi : public Communicator {
 public:
  // Takes ownership of `comm` unless it is MPI_COMM_WORLD.
  explicit Mpi(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    MPI_Group world_group, group;
    MPI_Comm_group(MPI_COMM_WORLD, &world_group);
    MPI_Comm_group(comm_, &group);
    std::vector<int> mine(size_), world(size_);
    for (int r = 0; r < size_; ++r) mine[r] = r;
    MPI_Group_translate_ranks(group, size_, mine.data(), world_group, world.data());
    world_ranks_ = std::move(world);
    MPI_Group_free(&group);
    MPI_Group_free(&world_group);
  }
  ~Mpi() override {
    if (comm_ != MPI_COMM_WORLD) MPI_Comm_free(&comm_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int world_rank(int r) const override { return world_ranks_[r]; }

  StatusOr<RequestPtr> IAllReduceSum(float* data, int64_t n) override {
    auto req = std::make_unique<MpiRequest>();
    for (int64_t o = 0; o < n; o += g_piece) {
      req->reqs.emplace_back();
      RETURN_IF_ERROR(MpiStatus(MPI_Iallreduce(MPI_IN_PLACE, data + o, Count(n - o), MPI_FLOAT, MPI_SUM,
                                               comm_, &req->reqs.back()),
                                "all-reduce"));
    }
    return RequestPtr(std::move(req));
  }

  StatusOr<RequestPtr> IReduceScatterSum(const float* in, float* out, int64_t n) override {
    auto req = std::make_unique<MpiRequest>();
    if (n <= g_piece) {
      req->reqs.emplace_back();
      RETURN_IF_ERROR(MpiStatus(MPI_Ireduce_scatter_block(in, out, static_cast<int>(n), MPI_FLOAT, MPI_SUM,
                                                          comm_, &req->reqs.back()),
                                "reduce-scatter"));
      return RequestPtr(std::move(req));
    }
    // Pieces: rank r's part of piece [o, o + k) is in[r * n + o ..]; pack them.
    req->scratch.resize(static_cast<size_t>(size_) * static_cast<size_t>(g_piece));
    float* packed = req->scratch.data();
    for (int64_t o = 0; o < n; o += g_piece) {
      const int64_t k = std::min(g_piece, n - o);
      for (int r = 0; r < size_; ++r) std::memcpy(packed + r * k, in + r * n + o, k * sizeof(float));
      // The packed input must stay untouched until the piece is done.
      RETURN_IF_ERROR(WaitFor(
          [&](MPI_Request* r) {
            return MPI_Ireduce_scatter_block(packed, out + o, static_cast<int>(k), MPI_FLOAT, MPI_SUM, comm_, r);
          },
          "reduce-scatter"));
    }
    return RequestPtr(std::move(req));
  }

  StatusOr<RequestPtr> IAllGather(const float* in, float* out, int64_t n) override {
    auto req = std::make_unique<MpiRequest>();
    if (n <= g_piece) {
      req->reqs.emplace_back();
      RETURN_IF_ERROR(MpiStatus(MPI_Iallgather(in, static_cast<int>(n), MPI_FLOAT, out, static_cast<int>(n),
                                               MPI_FLOAT, comm_, &req->reqs.back()),
                                "all-gather"));
      return RequestPtr(std::move(req));
    }
    req->scratch.resize(static_cast<size_t>(size_) * static_cast<size_t>(g_piece));
    float* packed = req->scratch.data();
    for (int64_t o = 0; o < n; o += g_piece) {
      const int64_t k = std::min(g_piece, n - o);
      RETURN_IF_ERROR(WaitFor(
          [&](MPI_Request* r) {
            return MPI_Iallgather(in + o, static_cast<int>(k), MPI_FLOAT, packed, static_cast<int>(k), MPI_FLOAT,
                                  comm_, r);
          },
          "all-gather"));
      for (int rr = 0; rr < size_; ++rr) std::memcpy(out + rr * n + o, packed + rr * k, k * sizeof(float));
    }
    return RequestPtr(std::move(req));
  }

  StatusOr<RequestPtr> ISend(const void* data, int64_t bytes, int dest, int tag) override {
    RETURN_IF_ERROR(CheckPeer(dest, "send to"));
    auto req = std::make_unique<MpiRequest>();
    const char* p = static_cast<const char*>(data);
    for (int64_t o = 0; o < bytes || (o == 0 && bytes == 0); o += g_piece) {
      req->reqs.emplace_back();
      RETURN_IF_ERROR(MpiStatus(
          MPI_Isend(p + o, Count(bytes - o), MPI_BYTE, dest, tag, comm_, &req->reqs.back()), "send"));
      if (bytes == 0) break;
    }
    return RequestPtr(std::move(req));
  }

  StatusOr<RequestPtr> IRecv(void* data, int64_t bytes, int source, int tag) override {
    RETURN_IF_ERROR(CheckPeer(source, "receive from"));
    auto req = std::make_unique<MpiRequest>();
    char* p = static_cast<char*>(data);
    for (int64_t o = 0; o < bytes || (o == 0 && bytes == 0); o += g_piece) {
      req->reqs.emplace_back();
      RETURN_IF_ERROR(MpiStatus(
          MPI_Irecv(p + o, Count(bytes - o), MPI_BYTE, source, tag, comm_, &req->reqs.back()), "receive"));
      if (bytes == 0) break;
    }
    return RequestPtr(std::move(req));
  }

  void Progress() override { AnswerPingsNow(); }

  Status Broadcast(void* data, int64_t bytes, int root) override {
    if (root < 0 || root >= size_) return InvalidArgumentError("broadcast root {} is not a rank of {}", root, size_);
    MpiRequest req;
    char* p = static_cast<char*>(data);
    for (int64_t o = 0; o < bytes; o += g_piece) {
      req.reqs.emplace_back();
      RETURN_IF_ERROR(MpiStatus(MPI_Ibcast(p + o, Count(bytes - o), MPI_BYTE, root, comm_, &req.reqs.back()),
                                "broadcast"));
    }
    return Wait(req, "broadcast");
  }

  Status AllReduceSumF64(double* data, int64_t n) override {
    MpiRequest req;
    req.f64.assign(data, data + n);  // owned by the request: it outlives an abandoned wait
    for (int64_t o = 0; o < n; o += g_piece) {
      req.reqs.emplace_back();
      RETURN_IF_ERROR(MpiStatus(MPI_Iallreduce(MPI_IN_PLACE, req.f64.data() + o, Count(n - o), MPI_DOUBLE, MPI_SUM,
                                               comm_, &req.reqs.back()),
                                "all-reduce (f64)"));
    }
    RETURN_IF_ERROR(Wait(req, "all-reduce (f64)"));
    std::copy(req.f64.begin(), req.f64.end(), data);
    return Status::Ok();
  }

  StatusOr<double> AllReduceMax(double value) override {
    MpiRequest req;
    req.f64 = {value};  // owned by the request: it outlives an abandoned wait
    req.reqs.emplace_back();
    RETURN_IF_ERROR(MpiStatus(MPI_Iallreduce(MPI_IN_PLACE, req.f64.data(), 1, MPI_DOUBLE, MPI_MAX, comm_,
                                             &req.reqs.back()),
                              "all-reduce (max)"));
    RETURN_IF_ERROR(Wait(req, "all-reduce (max)"));
    return req.f64[0];
  }

  Status Barrier() override {
    MpiRequest req;
    req.reqs.emplace_back();
    RETURN_IF_ERROR(MpiStatus(MPI_Ibarrier(comm_, &req.reqs.back()), "barrier"));
    return Wait(req, "barrier");
  }

  StatusOr<std::unique_ptr<Communicator>> Split(int color, int key) override {
    MPI_Comm sub = MPI_COMM_NULL;
    RETURN_IF_ERROR(MpiStatus(MPI_Comm_split(comm_, color, key, &sub), "comm split"));
    MPI_Comm_set_errhandler(sub, MPI_ERRORS_RETURN);
    auto c = std::make_unique<Mpi>(sub);
    c->set_timeout_s(timeout_s());
    return std::unique_ptr<Communicator>(std::move(c));
  }

 protected:
  void AnswerPings() override { AnswerPingsNow(); }
  void StopWaitingOnDestruction() override { g_failing = true; }

  std::string UnresponsiveRanks(double grace_s) override {
    int world = 1, me = 0;
    MPI_Comm_size(g_control, &world);
    MPI_Comm_rank(g_control, &me);
    std::vector<int> nonce(world, 0);
    std::vector<MPI_Request> pings(world, MPI_REQUEST_NULL), pongs(world, MPI_REQUEST_NULL);
    for (int r = 0; r < world; ++r) {
      if (r == me) continue;
      MPI_Isend(&nonce[r], 1, MPI_INT, r, kPingTag, g_control, &pings[r]);
      MPI_Irecv(nullptr, 0, MPI_INT, r, kPongTag, g_control, &pongs[r]);
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
    std::vector<int> answered(world, 0);
    answered[me] = 1;
    while (std::chrono::steady_clock::now() < end) {
      bool all = true;
      for (int r = 0; r < world; ++r) {
        if (!answered[r]) MPI_Test(&pongs[r], &answered[r], MPI_STATUS_IGNORE);
        all = all && answered[r];
      }
      if (all) break;
      AnswerPingsNow();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::string silent;
    for (int r = 0; r < world; ++r) {
      if (answered[r]) continue;
      silent += (silent.empty() ? "" : ", ") + std::to_string(r);
      // Left pending on purpose: the job is about to be aborted, and a
      // cancelled send to a dead peer can itself block.
    }
    return silent;
  }

 private:
  static int Count(int64_t left) { return static_cast<int>(std::min(left, g_piece)); }
  // Starts one non-blocking call (start(&request) returns its MPI code) and
  // waits for it with the timeout.
  Status WaitFor(const std::function<int(MPI_Request*)>& start, const char* what) {
    MpiRequest req;
    req.reqs.emplace_back();
    RETURN_IF_ERROR(MpiStatus(start(&req.reqs.back()), what));
    return Wait(req, what);
  }
  Status CheckPeer(int peer, const char* what) const {
    if (peer < 0 || peer >= size_ || peer == rank_)
      return InvalidArgumentError("{} rank {}: not another rank of this group of {}", what, peer, size_);
    return Status::Ok();
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  std::vector<int> world_ranks_;
};

}  // namespace

void SetCommunicatorPieceForTesting(int64_t elements) { g_piece = elements; }

StatusOr<std::unique_ptr<Communicator>> WorldCommunicator() {
  if (!LaunchedByMpi()) return LocalCommunicator();
  RETURN_IF_ERROR(EnsureMpiInitialized());
  if (g_control == MPI_COMM_NULL) {
    RETURN_IF_ERROR(MpiStatus(MPI_Comm_dup(MPI_COMM_WORLD, &g_control), "comm dup"));
    MPI_Comm_set_errhandler(g_control, MPI_ERRORS_RETURN);
  }
  return std::unique_ptr<Communicator>(std::make_unique<Mpi>(MPI_COMM_WORLD));
}

void AbortJob(const std::string& message, int code) {
  if (!message.empty()) std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  int world = 1;
  if (initialized && !finalized) MPI_Comm_size(MPI_COMM_WORLD, &world);
  if (world > 1) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace seek
