#include "train/dist/grid.h"

namespace seek {

StatusOr<Layout> ResolveLayout(Layout l, int64_t world, const ModelConfig& m, int64_t batch_rows) {
  if (l.tp < 1 || l.pp < 1 || l.dp < 0)
    return InvalidArgumentError("parallel layout dp={} tp={} pp={}: tp and pp must be >= 1, dp >= 0 (0: the "
                                "ranks left over)",
                                l.dp, l.tp, l.pp);
  if (m.n_head % l.tp != 0)
    return InvalidArgumentError("tp={}: the model's {} attention heads do not divide by it; use a tp that "
                                "divides {}",
                                l.tp, m.n_head, m.n_head);
  if (m.n_kv_head % l.tp != 0)
    return InvalidArgumentError("tp={}: the model's {} key/value heads do not divide by it; use a tp that "
                                "divides {}",
                                l.tp, m.n_kv_head, m.n_kv_head);
  if (m.intermediate % l.tp != 0)
    return InvalidArgumentError("tp={}: the MLP width {} does not divide by it", l.tp, m.intermediate);
  if (m.n_layer < l.pp)
    return InvalidArgumentError("pp={}: the model has only {} blocks, fewer than the pipeline stages; use "
                                "pp <= {}",
                                l.pp, m.n_layer, m.n_layer);
  if (l.dp == 0) {
    if (world % (l.tp * l.pp) != 0)
      return InvalidArgumentError("{} ranks do not divide into tp={} x pp={} groups; launch a multiple of {} "
                                  "ranks or change --tp/--pp",
                                  world, l.tp, l.pp, l.tp * l.pp);
    l.dp = world / (l.tp * l.pp);
  }
  if (l.dp * l.tp * l.pp != world)
    return InvalidArgumentError("parallel layout dp={} x tp={} x pp={} = {} ranks, but the job has {}; make "
                                "the product equal the ranks mpirun starts (or leave dp at 0)",
                                l.dp, l.tp, l.pp, l.dp * l.tp * l.pp, world);
  if (batch_rows % l.dp != 0)
    return InvalidArgumentError("train.batch_size {} (rows of a global micro-batch) does not divide over "
                                "dp={} ranks; use a multiple of {}",
                                batch_rows, l.dp, l.dp);
  return l;
}

StatusOr<Groups> MakeGroups(Communicator& world, const Layout& l) {
  Groups g;
  g.layout = l;
  const int64_t r = world.rank();
  g.tp_rank = r % l.tp;
  g.dp_rank = (r / l.tp) % l.dp;
  g.pp_rank = r / (l.tp * l.dp);
  // Ranks sharing the other two coordinates form a group; keys keep the order.
  ASSIGN_OR_RETURN(g.tp, world.Split(static_cast<int>(g.dp_rank + l.dp * g.pp_rank), static_cast<int>(g.tp_rank)));
  ASSIGN_OR_RETURN(g.dp, world.Split(static_cast<int>(g.tp_rank + l.tp * g.pp_rank), static_cast<int>(g.dp_rank)));
  ASSIGN_OR_RETURN(g.pp, world.Split(static_cast<int>(g.tp_rank + l.tp * g.dp_rank), static_cast<int>(g.pp_rank)));
  ASSIGN_OR_RETURN(g.model, world.Split(static_cast<int>(g.dp_rank), static_cast<int>(g.tp_rank + l.tp * g.pp_rank)));
  return g;
}

}  // namespace seek
