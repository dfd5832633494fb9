// train/dist/pipeline.h — pipeline parallelism: the model's blocks split into
// stages, one per rank of a pipeline group, each step's micro-batches run
// through them under the 1F1B schedule (PipeDream-Flush, Megatron).
//
// Stage s holds blocks [s * L / pp, (s + 1) * L / pp) (PipelineStageShard);
// the first also the embedding, the last the final norm and LM head and,
// with tied embeddings, its own copy of the token embedding (model/params.h).
// Every stage sees every micro-batch (tokens, document ids, targets): only
// the first embeds, only the last computes the loss, and all know the step's
// target count, so each normalises by the GLOBAL count as a single process
// does (train/step.h).
//
// The schedule (1F1B) and the layer split are in pipeline_schedule.h.
// Activations ([B*T, C] f32) go down and their gradients up with
// non-blocking sends; all receives of a step are posted at its start, into
// buffers of their own, and waited for just before use.
//
// Activation memory, the caller's choice through the stage model's
// activation slots (Transformer::SetActivationSlots): micro-batch i uses
// slot i % slots. With OneFOneBInFlight(pp, s, m) slots every backward finds
// its forward's activations. With fewer (default 1) a backward whose slot
// was reused first re-runs the stage forward from its saved input
// (stage-granularity recomputation; forward is deterministic, so the
// gradients are bitwise the same): one extra stage forward per micro-batch
// on all stages but the last (whose backward always follows its forward),
// for one micro-batch's activations instead of up to pp - s. Micro-batches
// of different shapes use one slot. The message buffers take 4 [B*T, C]
// per micro-batch for the step.
//
// Thread-safety: one call at a time (the Communicator's contract).
#pragma once

#include <vector>

#include "core/status.h"
#include "model/transformer.h"
#include "train/dist/communicator.h"
#include "train/dist/pipeline_schedule.h"
#include "train/loss_scaler.h"
#include "train/optimizer.h"
#include "train/step.h"

namespace seek {

// AccumulateAndStep (train/step.h) for one pipeline stage: `model` was
// created with PipelineStageShard(config, pipe->size(), pipe->rank()), every
// rank of `pipe` passes the same micro-batches. Runs 1F1B, sums the tied
// embedding's gradient between the first and last stage, clips by the global
// norm (the tied copy counted once) and updates this stage's parameters.
// The result (loss, norm, target count) is the same on every stage.
// With data parallelism too (`parallel` not null; train/step.h): the
// micro-batches are this rank's rows, gradients are summed over parallel->dp
// after the tied sum, and the loss and squared norm over the whole job.
StatusOr<StepResult> PipelineAccumulateAndStep(Transformer* model, AdamWOptimizer* optimizer,
                                               Communicator* pipe,
                                               const std::vector<Batch>& micro_batches,
                                               double grad_clip, double lr,
                                               DynamicLossScaler* scaler = nullptr,
                                               const StepParallel* parallel = nullptr);

// Every stage's parameters (gradients: `gradients`) copied by name into
// `whole`, a ParamStore of the whole model on rank `root` (null on the
// others); the tied embedding is the first stage's. For checkpoints and
// tests. Collective over pipe; stages laid out by PipelineStageShard.
Status GatherStagesByName(const ModelConfig& config, const ParamStore& stage, bool gradients,
                          Communicator* pipe, int root, ParamStore* whole);
// The same for any buffers laid out like the stores (AdamW's moments):
// stage_values (as `stage`) -> whole_values (as `whole`, on root).
Status GatherStagesByName(const ModelConfig& config, const ParamStore& stage, const float* stage_values,
                          Communicator* pipe, int root, const ParamStore* whole, float* whole_values);

// A forward pass through the stages (evaluation): every stage passes the
// same batch; returns the loss (sum, targets) on every stage.
StatusOr<LossResult> PipelineForward(Transformer* model, Communicator* pipe, const Batch& batch);

}  // namespace seek
