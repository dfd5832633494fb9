#include "train/dist/pipeline_schedule.h"

#include <algorithm>

namespace seek {

std::vector<PipeOp> OneFOneBSchedule(int pp, int stage, int m) {
  const int warmup = std::min(pp - stage - 1, m);
  std::vector<PipeOp> ops;
  for (int i = 0; i < warmup; ++i) ops.push_back({PipeOp::kForward, i});
  for (int i = 0; i + warmup < m; ++i) {
    ops.push_back({PipeOp::kForward, i + warmup});
    ops.push_back({PipeOp::kBackward, i});
  }
  for (int i = m - warmup; i < m; ++i) ops.push_back({PipeOp::kBackward, i});
  return ops;
}

int OneFOneBInFlight(int pp, int stage, int m) {
  return std::max(1, std::min(pp - stage, m));
}

StatusOr<ModelShard> PipelineStageShard(const ModelConfig& config, int pp, int stage) {
  if (pp < 1 || stage < 0 || stage >= pp)
    return InvalidArgumentError("pipeline stage {} of {} stages: need pp >= 1 and 0 <= stage < pp",
                                stage, pp);
  const int64_t L = config.n_layer;
  if (L < pp)
    return InvalidArgumentError(
        "the model has {} layers, fewer than the {} pipeline stages (each "
        "stage needs at least one layer): use pp <= {}",
        L, pp, L);
  ModelShard s;
  s.layer_begin = stage * L / pp;
  s.layer_end = (stage + 1) * L / pp;
  return s;
}

}  // namespace seek
