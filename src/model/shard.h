// model/shard.h — which part of a model one rank holds under tensor and
// pipeline parallelism (train/dist/ builds the groups; the model only needs
// to know its slice).
//
// Tensor parallel (Megatron): the rank holds 1/tp of the heads and KV heads
// (QKV column-parallel, attention output row-parallel), 1/tp of the MLP's
// inner width (up column-parallel, down row-parallel) and 1/tp of the
// vocabulary rows of the embedding and LM head (vocabulary-parallel; the
// last rank's slice is short when tp does not divide the vocabulary).
// Pipeline parallel: the rank runs blocks [layer_begin, layer_end); the
// first stage also holds the embedding, the last the final norm and head.
// Parameter names keep the full model's names (layers.{i} with the global
// block index), so a checkpoint is assembled from shards by name.
#pragma once

#include <cstdint>

namespace seek {

struct ModelShard {
  int tp_rank = 0, tp_size = 1;
  int64_t layer_begin = 0, layer_end = -1;  // -1: n_layer
  bool whole() const { return tp_size == 1 && layer_begin == 0 && layer_end < 0; }
};

}  // namespace seek
