// model/recompute.h — activation checkpointing: which block activations the
// Transformer keeps from forward to backward, and recomputing the rest.
//
// A checkpointed block keeps only part of its BlockActs per layer; the pieces
// it drops point into one workspace shared by all checkpointed blocks, and
// are rebuilt there, just before that block's backward, by rerunning the same
// kernels on the same inputs. Kernels are deterministic for a fixed thread
// count, so the recomputed values, and with them every gradient, are bitwise
// those of the run that kept everything.
//
//   none       keep every activation (the fastest; the most memory)
//   selective  drop the cheap, large ones: norm1 and norm2 ([N, C] each) and
//              act ([N, I], the MLP activation's output); backward reruns the
//              two norms (from x_in and x_mid) and the activation (from up).
//              No GEMM is repeated.
//   full       keep only the block input x_in ([N, C]); backward reruns the
//              whole block forward (about one extra forward pass).
//
// `every` = k checkpoints the blocks whose layer index is a multiple of k
// (0, k, 2k, ...); the others keep everything. k = 1: all blocks; k = 2:
// half of them, trading memory for speed in between.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "model/block.h"
#include "model/config.h"

namespace seek {

enum class Recompute { kNone, kSelective, kFull };

struct RecomputeConfig {
  Recompute mode = Recompute::kNone;
  int64_t every = 1;  // >= 1: checkpoint the layers l with l % every == 0

  bool Checkpointed(int64_t layer) const {
    return mode != Recompute::kNone && every >= 1 && layer % every == 0;
  }
};

// "none", "selective", "full".
const char* RecomputeName(Recompute mode);
// The inverse of RecomputeName; the error lists the valid names.
StatusOr<Recompute> ParseRecompute(std::string_view name);

// Floats a checkpointed block keeps per layer (its part of BlockActs), in
// precision p (as BlockActsSize: 16-bit GEMM operands take half).
int64_t CheckpointedActsSize(const ModelConfig& c, int64_t B, int64_t T, Precision p, Recompute mode);
// Floats of the workspace that all checkpointed blocks share for the pieces
// they drop (0 for kNone).
int64_t RecomputeWorkspaceSize(const ModelConfig& c, int64_t B, int64_t T, Precision p, Recompute mode);
// A checkpointed block's BlockActs: the kept pieces carved from `kept`
// (CheckpointedActsSize floats), the dropped ones pointing into `workspace`
// (RecomputeWorkspaceSize floats, the same for every such block).
BlockActs CheckpointedActsAt(const ModelConfig& c, int64_t B, int64_t T, Precision p, Recompute mode,
                             float* kept, float* workspace);

// Rebuilds what a checkpointed block dropped, in place, before its
// BlockBackward. `a` is the block's CheckpointedActsAt and holds what its
// forward kept. For kFull, x_out receives the block output again (the same
// values BlockForward wrote there; backward does not read them). Pass
// ctx.stats = null so attention tiles are not counted twice.
void RecomputeBlock(const BlockContext& ctx, const BlockParams& w, const BlockActs& a,
                    Recompute mode, float* x_out);

}  // namespace seek
