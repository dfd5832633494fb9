// train/run_checkpoint.h — training checkpoints: a model directory plus trainer state.
//
//   RUN/checkpoints/step_00000500/
//     config.json, model.safetensors, generation_config.json   (an HF model dir)
//     tokenizer.json, tokenizer_config.json   when the shards came with a tokenizer
//     trainer_state.safetensors  AdamW moments ("optimizer.m", "optimizer.v", laid out like
//                                the parameter buffer) + metadata "trainer": JSON with step,
//                                tokens seen, loader position and the training config
//
// Saving is crash-safe: everything is written into RUN/checkpoints/.tmp-step_…
// (each file temp + fsync + rename), the folder is fsynced and renamed to its
// final name last, then the parent folder is fsynced. A kill at any moment
// leaves the previous checkpoints intact and loadable; a leftover .tmp-* is
// ignored and removed by the next save. Retention keeps the newest `keep`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/tokenizer_files.h"
#include "model/transformer.h"
#include "train/optimizer.h"

namespace seek {

struct TrainerState {
  int64_t step = 0;         // optimizer steps taken
  int64_t tokens_seen = 0;  // training tokens consumed
  nlohmann::json loader;    // LoaderPosition as JSON
  nlohmann::json config;    // the effective training config
  nlohmann::json loss_scaler;  // fp16: {"scale", "growth_tracker", "hysteresis_tracker"}; else null
};

// Writes checkpoint `state.step` into run_dir/checkpoints and prunes old ones.
// With a tokenizer, the folder also gets its tokenizer.json and
// tokenizer_config.json, and generation_config.json its eos_token_id.
// Returns the checkpoint's folder.
StatusOr<std::string> SaveCheckpoint(const std::string& run_dir, const Transformer& model,
                                     const AdamWOptimizer& optimizer, const TrainerState& state,
                                     int64_t keep, const TokenizerBundle* tokenizer = nullptr);

// The newest complete checkpoint folder of a run, or NotFound.
StatusOr<std::string> LatestCheckpoint(const std::string& run_dir);

// Loads weights into model and moments into optimizer from a checkpoint
// folder. Errors name the file when the model's config differs from the
// checkpoint's (a resume directory from another model).
StatusOr<TrainerState> LoadCheckpoint(const std::string& dir, Transformer* model,
                                      AdamWOptimizer* optimizer);

}  // namespace seek
