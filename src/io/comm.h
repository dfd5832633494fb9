// io/comm.h — the ranks of a multi-process job and the collectives the data
// pipeline needs, over MPI (`mpirun -np N seek ...`, Slurm's `srun`) or, for
// a plain process, a single rank that does no communication.
//
// Every call is collective: all ranks make the same calls in the same order.
// Payloads are bytes (callers serialise with ByteWriter / ByteReader); any
// size works (large ones travel in pieces under MPI's int counts).
// Errors (an MPI call failing) are Status; MPI's own handler is set to return
// codes instead of aborting.
//
// The trainer's communicator (train/dist/, all-reduce of tensors, groups)
// builds on the same MPI initialisation.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace seek {

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Every rank's bytes, in rank order, on every rank.
  virtual StatusOr<std::vector<std::string>> AllGather(std::string_view mine) = 0;
  // Every rank's bytes in rank order on `root`; other ranks get an empty list.
  virtual StatusOr<std::vector<std::string>> Gather(std::string_view mine, int root) = 0;
  virtual Status Barrier() = 0;
};

// One rank: the collectives return the caller's own data.
std::unique_ptr<Comm> LocalComm();

// Whether this process was started by an MPI launcher (mpirun, mpiexec,
// srun with PMI/PMIx): its environment names a world size.
bool LaunchedByMpi();

// MPI_COMM_WORLD, initialising MPI (and finalising it at exit); a LocalComm
// when the process was not launched by MPI.
StatusOr<std::unique_ptr<Comm>> WorldComm();

// Initialises MPI once per process (MPI_THREAD_FUNNELED, errors returned as
// codes on MPI_COMM_WORLD, MPI_Finalize at exit); later calls return the
// first call's result. Only for processes LaunchedByMpi().
Status EnsureMpiInitialized();

// An MPI return code as a Status: OK for MPI_SUCCESS, else an IoError
// naming the call (`what`) and MPI's own message.
Status MpiStatus(int rc, const char* what);

// Every rank's status: OK when all are; otherwise the first failed rank's
// error with "rank R: " before its message, on every rank. Use it before a
// collective that a failed rank would not reach, so no rank waits forever.
Status AgreeOnStatus(Comm& comm, const Status& mine);

// Little-endian bytes for payloads.
class ByteWriter {
 public:
  void U64(uint64_t v) { Raw(&v, sizeof v); }
  void I64(int64_t v) { Raw(&v, sizeof v); }
  void F64(double v) { Raw(&v, sizeof v); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void Raw(const void* p, size_t n) {
    if (n > 0) out_.append(static_cast<const char*>(p), n);  // p may be null when n is 0
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

// Reads what ByteWriter wrote; reading past the end sets !ok() and yields zeros.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  uint64_t U64() { return Pod<uint64_t>(); }
  int64_t I64() { return Pod<int64_t>(); }
  double F64() { return Pod<double>(); }
  std::string Str() {
    const uint64_t n = U64();
    if (n > in_.size() - pos_) return ok_ = false, std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  void Raw(void* p, size_t n) {
    if (n == 0) return;  // p may be null (an empty vector's data())
    if (n > in_.size() - pos_) return ok_ = false, void(std::memset(p, 0, n));
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }

 private:
  template <typename T>
  T Pod() {
    T v{};
    if (sizeof(T) > in_.size() - pos_) return ok_ = false, v;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace seek
