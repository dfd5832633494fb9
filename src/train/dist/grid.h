// train/dist/grid.h — the 3-D grid of ranks: dp × tp × pp = world.
//
// Megatron-LM's order: tensor-parallel ranks are adjacent (they exchange the
// most, so they should share a node), then data-parallel, then pipeline:
//   world rank = tp_rank + tp * (dp_rank + dp * pp_rank)
// Each rank belongs to one group of each kind; Groups holds those three
// communicators and the rank's coordinates.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "model/config.h"
#include "train/dist/communicator.h"

namespace seek {

struct Layout {
  int64_t dp = 1, tp = 1, pp = 1;
};

// Fills dp when it is 0 (world / (tp * pp)) and checks that the layout can
// run this model on `world` ranks with global micro-batches of `batch_rows`
// rows: dp * tp * pp == world, heads, KV heads and the MLP width divisible by
// tp, at least one block per pipeline stage, batch rows divisible by dp.
// Errors say which value is wrong and what would work.
StatusOr<Layout> ResolveLayout(Layout requested, int64_t world, const ModelConfig& model, int64_t batch_rows);

struct Groups {
  Layout layout;
  int64_t dp_rank = 0, tp_rank = 0, pp_rank = 0;
  std::unique_ptr<Communicator> dp, tp, pp;  // this rank's group of each kind
  std::unique_ptr<Communicator> model;  // the tp x pp ranks that hold one model replica (this dp_rank's)
};

// Splits `world` into the grid's groups (collective over world).
StatusOr<Groups> MakeGroups(Communicator& world, const Layout& layout);

}  // namespace seek
