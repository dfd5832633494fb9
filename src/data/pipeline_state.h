// data/pipeline_state.h — what `seek data run` saves after each stage so that
// a rerun resumes after the last completed one instead of starting over.
//
// One file per rank, OUTPUT/.resume/rank-R-of-N.bin, written atomically
// after every stage (replacing the previous one: at most one corpus copy on
// disk): the documents left after stage k (this rank's part), the manifest
// so far, the rejects so far, and a key. The key hashes everything the
// documents depend on: the inputs' configuration and every input file's
// path, size and modification time, the first k stages' objects, the rank
// count and keep_rejects. A rerun resumes when every rank finds a state with
// the key of its own configuration at the same k; otherwise it starts over.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/document.h"
#include "data/pipeline.h"

namespace seek {

struct PipelineState {
  int completed = 0;                      // stages done
  nlohmann::ordered_json manifest;        // "inputs" and the stage reports so far
  std::vector<std::string> rejects;       // per completed stage: this rank's rejects.jsonl lines
  std::vector<Document> docs;             // this rank's documents after those stages
};

// The key of a run's state after `completed` stages: hex of a 128-bit hash.
// `fingerprint`: every input file's path, size and modification time.
std::string PipelineStateKey(const PipelineConfig& c, const std::string& fingerprint, int completed, int ranks);

std::string PipelineStatePath(const std::string& output, int rank, int ranks);
Status SavePipelineState(const std::string& path, const std::string& key, const PipelineState& s);

// The state saved at `path` when its key is key_for(its completed count);
// NotFound when there is none or it belongs to another configuration, DataLoss
// when the file is damaged.
StatusOr<PipelineState> LoadPipelineState(const std::string& path,
                                          const std::function<std::string(int completed)>& key_for);
// The same on a file's bytes (path: for messages).
StatusOr<PipelineState> ParsePipelineState(std::string_view bytes, const std::string& path,
                                           const std::function<std::string(int completed)>& key_for);

}  // namespace seek
