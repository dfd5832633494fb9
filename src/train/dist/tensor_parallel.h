// train/dist/tensor_parallel.h — tensor parallelism's training side: the
// model's TpCollectives (model/tensor_parallel.h) over a Communicator, and
// assembling whole tensors from a replica's slices (checkpoints). The
// step's global norm over TP shards is train/step.h's SumOverJob.
//
// The model layer knows nothing of MPI; a TP rank's Transformer is created
// with a CommunicatorTpCollectives over the TP group's Communicator (a
// Split of the world; train/dist/grid.h builds them).
// Thread-safety: as the Communicator's (one thread makes all calls).
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "model/params.h"
#include "model/shard.h"
#include "model/tensor_parallel.h"
#include "train/dist/communicator.h"
#include "train/optimizer.h"

namespace seek {

class CommunicatorTpCollectives : public TpCollectives {
 public:
  explicit CommunicatorTpCollectives(Communicator* group) : group_(group) {}  // not owned
  Status AllReduceSum(float* data, int64_t n) override;
  // An all-gather then a local max (the Communicator reduces only by sum).
  Status AllReduceMax(float* data, int64_t n) override;

 private:
  Communicator* group_;
  std::vector<float> gathered_;  // [size * n], reused
};

// The full model's weights assembled from a TP group's shards, on every
// rank (checkpoints stay HF-format full tensors). `full` is a
// ParamStore(config); its gradients are untouched. A sum of slices written
// into zeros, so the values are exact.
Status GatherFullParams(const ModelConfig& config, const ModelShard& shard, const ParamStore& local,
                        Communicator* group, ParamStore* full);
// The same for any buffer laid out like the parameters (AdamW's moments):
// local_values (as `local`) -> full_values (as `full`), on every rank of
// `group`. With pipeline stages too, `local` is a stage's store and `group`
// every tp x pp rank of one model replica (Groups::model): each writes its
// slice of its stage's tensors (a last stage's tied embedding copy left to
// the first stage) and one all-reduce sums them.
Status GatherFull(const ModelConfig& config, const ModelShard& shard, const ParamStore& local,
                  const float* local_values, Communicator* group, const ParamStore& full, float* full_values);


}  // namespace seek
