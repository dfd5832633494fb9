// train/train_config.h — everything `seek train` is told, from one JSON file.
//
//   {"model": {HF config.json keys}, "data": {...}, "optim": {...}, "train": {...}}
//
// Every field has a default (docs/train_config.md lists them); unknown keys
// are rejected by name so a typo never silently falls back to a default.
// The effective config (defaults filled in) is saved in the run directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "kernels/precision.h"
#include "model/config.h"
#include "model/recompute.h"
#include "train/loss_scaler.h"
#include "train/schedule.h"

namespace seek {

struct DataSection {
  std::vector<std::string> shards;  // token shard files (relative to the config file's folder)
  double val_fraction = 0.01;
  uint64_t split_seed = 0;
};

struct OptimSection {
  ScheduleConfig schedule;  // total_steps is filled in from the train section
  double weight_decay = 0.1;
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double grad_clip = 1.0;  // 0: no clipping
  bool decay_embeddings = false;
  bool decay_norms_and_biases = false;
};

enum class NanPolicy { kStop, kSkip };

struct TrainSection {
  int64_t batch_size = 8, seq_len = 256, grad_accum = 1;
  int64_t max_steps = 1000;
  int64_t max_tokens = 0;  // 0: no token budget
  uint64_t seed = 1;
  int64_t log_every = 10;
  int64_t eval_every = 100, eval_batches = 8;
  int64_t sample_every = 0, sample_tokens = 200;  // 0: only at the end
  std::string sample_prompt;
  double sample_temperature = 0.8;
  int64_t sample_top_k = 40;
  int64_t checkpoint_every = 500, keep_checkpoints = 2;
  NanPolicy nan_policy = NanPolicy::kStop;
  int64_t threads = 0;  // 0: all cores
  double time_limit_s = 0;  // 0: none; otherwise stop (with a checkpoint) after this long
  // train.activation_checkpointing ("none" | "selective" | "full") and
  // train.activation_checkpointing_every (k >= 1: blocks 0, k, 2k, ...).
  RecomputeConfig recompute;
  Precision precision = Precision::kF32;  // of the multiplies' operands (kernels/lowp.h)
  LossScalerOptions loss_scale;           // fp16 only
  bool stochastic_rounding = false;       // bf16 only: of the weights' bf16 copy
  // Distributed (under mpirun/srun; docs/distributed.md). dp * tp * pp must
  // equal the number of ranks; 0 for dp means "the ranks left over".
  // batch_size counts the rows of a GLOBAL micro-batch: each data-parallel
  // rank runs batch_size / dp of them, so any layout computes the same step.
  int64_t dp = 0, tp = 1, pp = 1;
  int64_t zero_stage = 0;        // 1: optimizer state sharded over the data-parallel group (ZeRO-1)
  double dp_bucket_mb = 25;      // gradient all-reduce bucket size
  bool dp_overlap = true;        // all-reduce buckets during backward
  double dist_timeout_s = 300;   // a collective that takes longer ends the job, naming the silent ranks
  // The MFU's denominator per rank, in TFLOP/s; 0: this precision's GEMM
  // rate measured at start-up (kernels/gemm.h MeasuredGemmGflops).
  double peak_tflops = 0;

  int64_t tokens_per_step() const { return batch_size * seq_len * grad_accum; }
  // Optimizer steps this run takes: max_steps, cut by max_tokens when set.
  int64_t total_steps() const;
};

struct TrainConfig {
  nlohmann::json model_json;  // as given, with defaults filled in (HF config.json keys)
  ModelConfig model;          // parsed; vocab_size from the shards when absent
  DataSection data;
  OptimSection optim;
  TrainSection train;
  nlohmann::json ToJson() const;  // the effective config
};

// Parses and validates. `source` names the file; relative shard paths are
// resolved against `base_dir`. vocab_size_from_data fills model.vocab_size
// when the model section leaves it out (0: unknown, then it is required).
StatusOr<TrainConfig> ParseTrainConfig(const std::string& json_text, const std::string& source,
                                       const std::string& base_dir);
StatusOr<TrainConfig> LoadTrainConfig(const std::string& path);
// Fills model.vocab_size (when the config left it out) and re-validates.
// tokenizer_vocab_size > 0: the shards come with a tokenizer.json of that
// many ids; vocab_size then defaults to it rounded up to a multiple of
// kVocabMultiple (the unused ids are never targets), and the model is not
// marked byte-level. 0: no tokenizer; byte-level shards (257 ids) mark the
// model "seek_tokenizer": "bytes".
inline constexpr int64_t kVocabMultiple = 64;
Status ResolveModel(TrainConfig* config, int64_t data_vocab_size, int64_t tokenizer_vocab_size = 0);

}  // namespace seek
