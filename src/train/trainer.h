// train/trainer.h — the training loop.
//
// Trainer owns a model, its AdamW state, train and validation loaders and a
// run directory (RUN/train_config.json, metrics.jsonl, loss.png,
// checkpoints/). Run() takes optimizer steps until the step or token budget
// (or the time limit) is reached: gradient accumulation with the loss
// normalised by the true number of target tokens of the whole step, global-
// norm clipping, the LR schedule, evaluation, samples and checkpoints every N
// steps and at the end. A NaN/inf loss or gradient stops the run with an
// error (or skips the step with nan_policy "skip"). Resume continues from the
// newest checkpoint bit for bit. When the shards' folder holds a
// tokenizer.json (`seek shards --tokenizer`), the model's vocabulary defaults
// to the tokenizer's, samples are encoded and decoded with it and every
// checkpoint carries its files.
// Distributed (launched by mpirun/srun): the ranks form a dp × tp × pp grid
// (train/dist/grid.h); data-parallel ranks each run their rows of every
// global micro-batch and sum gradients (train/dist/data_parallel.h), so any
// layout takes the same steps as one process. Rank 0 alone prints, writes
// metrics and saves checkpoints, which hold the whole state and resume on
// any layout. Thread-safety: none; one Run at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/loader.h"
#include "data/tokenizer_files.h"
#include "model/transformer.h"
#include "train/dist/data_parallel.h"
#include "train/dist/grid.h"
#include "train/optimizer.h"
#include "train/train_config.h"

namespace seek {

struct TrainOptions {
  std::string run_dir;
  bool resume = false;
  int64_t max_steps_this_run = 0;  // stop (with a checkpoint) after this many steps; 0: no limit
  bool quiet = false;              // no progress lines (tests)
};

struct StepRecord {
  int64_t step;  // 1-based, after the update
  double loss, lr, grad_norm;
  bool skipped;
  double loss_scale = 1;  // fp16: the scale the step ran with
  bool overflow = false;  // fp16: skipped because a gradient overflowed
};

class Trainer {
 public:
  static StatusOr<std::unique_ptr<Trainer>> Create(TrainConfig config, TrainOptions options);
  Status Run();

  const std::vector<StepRecord>& history() const { return history_; }
  int64_t step() const { return step_; }
  Transformer& model() { return *model_; }
  // Mean validation loss over eval_batches batches from the split's start.
  StatusOr<double> Evaluate();
  std::string last_checkpoint() const { return last_checkpoint_; }

 private:
  Trainer(TrainConfig config, TrainOptions options);
  Status TrainStep(StepRecord* record);
  Status Checkpoint();
  void Sample();

  TrainConfig config_;
  TrainOptions options_;
  std::unique_ptr<Transformer> model_;
  std::unique_ptr<AdamWOptimizer> optimizer_;
  std::unique_ptr<DynamicLossScaler> scaler_;  // fp16 only
  std::unique_ptr<DataLoader> train_, val_;
  std::optional<TokenizerBundle> tokenizer_;  // the shards' tokenizer.json; nullopt: ids or bytes
  int64_t step_ = 0, tokens_seen_ = 0, skipped_ = 0;
  std::vector<StepRecord> history_;
  std::string last_checkpoint_;
  std::vector<int32_t> tokens_, targets_, docs_;  // [grad_accum, B, T]: the global micro-batches
  // Distributed: the job (a single local rank without mpirun), this rank's
  // groups, and the data-parallel gradient reduction (null when dp == 1).
  std::unique_ptr<Communicator> world_;
  Groups groups_;
  std::unique_ptr<GradientSync> sync_;
  bool lead() const { return world_->rank() == 0; }  // prints, writes, saves
};

}  // namespace seek
