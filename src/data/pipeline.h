// data/pipeline.h — `seek data run PIPELINE`: reads the inputs, runs the
// stages in order and writes the surviving documents with a manifest.
//
// Pipeline file (JSON):
//   {"inputs": [{"source": "books", "path": "data/raw/books"}, ...],   (data/readers.h)
//    "stages": [{"stage": "langid", "model": "..."}, ...],              (data/stage.h)
//    "output": "data/pipeline/default",
//    "threads": 0,            (0: all cores)
//    "keep_rejects": false}   (also write every dropped document with its reason)
// Unknown keys are errors naming them.
//
// Output folder (each file written atomically, so an interrupted run leaves
// the previous complete output or none):
//   documents.jsonl  {"id", "source", "language", "text"} per kept document, in input order
//   manifest.json    per input: files, documents, bytes, skips by reason; per
//                    stage: documents and bytes in and out per source, drops by
//                    reason, seconds; the output's documents and bytes per
//                    source and language
//   rejects.jsonl    {"id", "source", "stage", "reason", "text"} (keep_rejects)
// The result depends only on the inputs and the pipeline, not on the thread count.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/readers.h"

namespace seek {

struct PipelineConfig {
  std::vector<InputConfig> inputs;
  std::vector<nlohmann::json> stages;
  std::string output;
  int threads = 0;
  bool keep_rejects = false;

  static StatusOr<PipelineConfig> FromJson(const nlohmann::json& j, const std::string& name);
  static StatusOr<PipelineConfig> FromFile(const std::string& path);
};

// Runs the pipeline; returns the manifest (also written to output/manifest.json).
StatusOr<nlohmann::ordered_json> RunPipeline(const PipelineConfig& config, bool progress);

}  // namespace seek
