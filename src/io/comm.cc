#include "io/comm.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <mutex>

namespace seek {
namespace {

class Local : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  StatusOr<std::vector<std::string>> AllGather(std::string_view mine) override {
    return std::vector<std::string>{std::string(mine)};
  }
  StatusOr<std::vector<std::string>> Gather(std::string_view mine, int root) override {
    return std::vector<std::string>{std::string(mine)};
  }
  Status Barrier() override { return Status::Ok(); }
};


class Mpi : public Comm {
 public:
  Mpi() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  StatusOr<std::vector<std::string>> AllGather(std::string_view mine) override {
    return Collect(mine, /*root=*/-1);
  }
  StatusOr<std::vector<std::string>> Gather(std::string_view mine, int root) override {
    if (root < 0 || root >= size_) return InvalidArgumentError("gather: root {} is not a rank of {}", root, size_);
    return Collect(mine, root);
  }
  Status Barrier() override { return MpiStatus(MPI_Barrier(MPI_COMM_WORLD), "barrier"); }

 private:
  // root < 0: every rank receives (allgather).
  StatusOr<std::vector<std::string>> Collect(std::string_view mine, int root) {
    const int n = size_;
    const bool receive = root < 0 || root == rank_;
    std::vector<uint64_t> sizes(n);
    uint64_t my_size = mine.size();
    RETURN_IF_ERROR(MpiStatus(
        MPI_Allgather(&my_size, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD), "allgather"));
    std::vector<std::string> out(receive ? n : 0);
    if (receive)
      for (int r = 0; r < n; ++r) out[r].resize(sizes[r]);
    // In rounds of at most `piece` bytes per rank, so that counts and
    // displacements fit MPI's int.
    const uint64_t piece = static_cast<uint64_t>(INT_MAX / n);
    std::vector<uint64_t> sent(n, 0);
    std::vector<int> counts(n), displs(n);
    std::string buffer;
    for (;;) {
      int64_t total = 0;
      for (int r = 0; r < n; ++r) {
        counts[r] = static_cast<int>(std::min(piece, sizes[r] - sent[r]));
        displs[r] = static_cast<int>(total);
        total += counts[r];
      }
      if (total == 0) break;
      if (receive) buffer.resize(static_cast<size_t>(total));
      const char* send = mine.data() + sent[rank_];
      const int rc = root < 0 ? MPI_Allgatherv(send, counts[rank_], MPI_BYTE, buffer.data(), counts.data(),
                                               displs.data(), MPI_BYTE, MPI_COMM_WORLD)
                              : MPI_Gatherv(send, counts[rank_], MPI_BYTE, buffer.data(), counts.data(),
                                            displs.data(), MPI_BYTE, root, MPI_COMM_WORLD);
      RETURN_IF_ERROR(MpiStatus(rc, root < 0 ? "allgatherv" : "gatherv"));
      for (int r = 0; r < n; ++r) {
        if (receive) std::copy_n(buffer.data() + displs[r], counts[r], out[r].data() + sent[r]);
        sent[r] += static_cast<uint64_t>(counts[r]);
      }
    }
    return out;
  }

  int rank_ = 0, size_ = 1;
};

void FinalizeMpi() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace

Status MpiStatus(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return Status::Ok();
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return IoError("MPI {} failed: {}", what, std::string(text, static_cast<size_t>(len)));
}

std::unique_ptr<Comm> LocalComm() { return std::make_unique<Local>(); }

bool LaunchedByMpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

Status EnsureMpiInitialized() {
  static std::once_flag once;
  static int init_rc = MPI_SUCCESS;
  std::call_once(once, [] {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    int provided = 0;
    init_rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    if (init_rc != MPI_SUCCESS) return;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    std::atexit(FinalizeMpi);
  });
  return MpiStatus(init_rc, "init");
}

StatusOr<std::unique_ptr<Comm>> WorldComm() {
  if (!LaunchedByMpi()) return LocalComm();
  RETURN_IF_ERROR(EnsureMpiInitialized());
  return std::unique_ptr<Comm>(std::make_unique<Mpi>());
}

Status AgreeOnStatus(Comm& comm, const Status& mine) {
  ByteWriter w;
  w.I64(static_cast<int64_t>(mine.code()));
  w.Str(mine.ok() ? std::string_view() : std::string_view(mine.message()));
  ASSIGN_OR_RETURN(std::vector<std::string> all, comm.AllGather(w.bytes()));
  for (size_t r = 0; r < all.size(); ++r) {
    ByteReader in(all[r]);
    const auto code = static_cast<StatusCode>(in.I64());
    std::string message = in.Str();
    if (code == StatusCode::kOk) continue;
    if (comm.size() == 1) return mine;
    return Status(code, fmt::format("rank {}: {}", r, message));
  }
  return Status::Ok();
}

}  // namespace seek
