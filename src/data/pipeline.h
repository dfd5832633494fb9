// data/pipeline.h — `seek data run PIPELINE`: reads the inputs, runs the
// stages in order and writes the surviving documents with a manifest.
//
// Pipeline file (JSON):
//   {"inputs": [{"source": "books", "path": "data/raw/books"}, ...],   (data/readers.h)
//    "stages": [{"stage": "langid", "model": "..."}, ...],              (data/stage.h)
//    "output": "data/pipeline/default",
//    "threads": 0,            (0: all cores; under MPI the cores of a machine
//                              shared among its ranks)
//    "keep_rejects": false,   (also write every dropped document with its reason)
//    "resume": true,          (save the documents after each stage; a rerun of
//                              the same pipeline on the same inputs resumes
//                              after the last saved stage: data/pipeline_state.h)
//    "shards": {"tokenizer": "data/tokenizers/kjv", "shard_tokens": 50000000}}
//                             (optional: also tokenize the output into the
//                              trainer's shards, OUTPUT/shards/, one document
//                              per kept document; no tokenizer: bytes;
//                              data/text_shards.h. The trainer's loader splits
//                              train / validation by document.)
// Unknown keys are errors naming them.
//
// Output folder (each file written atomically, so an interrupted run leaves
// the previous complete output or none):
//   documents.jsonl  {"id", "source", "language", "text"} per kept document, in input order
//   manifest.json    per input: files, documents, bytes, skips by reason; per
//                    stage: documents and bytes in and out per source, drops by
//                    reason; the output's documents and bytes per source and
//                    language
//   rejects.jsonl    {"id", "source", "stage", "reason", "text"} (keep_rejects)
//   timings.json     seconds to read and per stage, ranks, threads per rank
//   shards/          token shards of documents.jsonl ("shards"; the manifest's
//                    "shards" says how many documents and tokens)
//   .resume/         the saved state of the last completed stage (resume)
// These three files depend only on the inputs and the pipeline: not on the
// thread count, nor on the number of MPI ranks.
//
// Multi-process (`mpirun -np N seek data run PIPELINE`): the inputs' files,
// in order, are cut into N contiguous runs of about equal bytes, one per
// rank; document stages run on each rank's part, corpus stages (dedup,
// balance) exchange what they need between ranks (data/stage.h), and rank 0
// gathers the output in rank order, i.e. in input order.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/readers.h"
#include "io/comm.h"

namespace seek {

struct PipelineConfig {
  std::vector<InputConfig> inputs;
  std::vector<nlohmann::json> stages;
  std::string output;
  int threads = 0;
  bool keep_rejects = false;
  bool resume = true;
  // "shards": tokenize the output (empty tokenizer: bytes).
  bool shards = false;
  std::string shard_tokenizer;
  int64_t shard_tokens = 50'000'000;

  static StatusOr<PipelineConfig> FromJson(const nlohmann::json& j, const std::string& name);
  static StatusOr<PipelineConfig> FromFile(const std::string& path);
};

// Runs the pipeline; returns the manifest (also written to output/manifest.json).
StatusOr<nlohmann::ordered_json> RunPipeline(const PipelineConfig& config, bool progress);
// The same as one rank of a multi-process run (collective over `comm`);
// rank 0 writes the output, every rank returns the manifest.
StatusOr<nlohmann::ordered_json> RunPipeline(const PipelineConfig& config, bool progress, Comm& comm);

}  // namespace seek
