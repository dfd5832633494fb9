// train/dist/pipeline_schedule.h — what each pipeline stage runs, as pure
// functions (no communication; the executor is pipeline.h).
//
// 1F1B (PipeDream-Flush, Megatron) on stage s of pp with m micro-batches:
// warm-up min(pp - s - 1, m) forwards, then one forward and one backward
// alternately, then the remaining backwards (cool-down). Stage s has at most
// pp - s micro-batches between their forward and backward.
#pragma once

#include <vector>

#include "core/status.h"
#include "model/config.h"
#include "model/shard.h"

namespace seek {

struct PipeOp {
  enum Kind { kForward, kBackward };
  Kind kind;
  int micro_batch;
  bool operator==(const PipeOp&) const = default;
};

// The 1F1B order of stage `stage` (0-based) of `pp` over m micro-batches.
std::vector<PipeOp> OneFOneBSchedule(int pp, int stage, int m);

// The most micro-batches stage `stage` has between their forward and
// backward under 1F1B: min(pp - stage, m). A stage model with this many
// activation slots (Transformer::SetActivationSlots) never recomputes.
int OneFOneBInFlight(int pp, int stage, int m);

// Stage `stage`'s layer range; an error when the model has fewer layers than
// pp stages (each needs at least one) or stage is outside [0, pp).
StatusOr<ModelShard> PipelineStageShard(const ModelConfig& config, int pp, int stage);

}  // namespace seek
