// data/stage.h — the stages of `seek data run` and their registry.
//
// A DocumentStage looks at one document at a time (normalise, language ID,
// quality filters, PII) and may change its text; the runner calls it on many
// documents at once from several threads, so Apply must be thread-safe
// (const, no shared mutable state). A CorpusStage (dedup, balancing) needs
// every surviving document at once and decides for each; in a multi-process
// run (`mpirun -np N seek data run`) each rank holds a contiguous part of the
// corpus and the stage exchanges what it needs over `comm` (collective: every
// rank calls Apply).
//
// A stage is built from its object in the pipeline file: {"stage": NAME,
// ...options}; options a stage does not know are errors naming them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/document.h"
#include "io/comm.h"

namespace seek {

class DocumentStage {
 public:
  virtual ~DocumentStage() = default;
  virtual Verdict Apply(Document* doc) const = 0;
};

class CorpusStage {
 public:
  virtual ~CorpusStage() = default;
  // One verdict per document of this rank's part, in order; must depend
  // neither on the thread count nor on how the corpus is split over ranks.
  virtual StatusOr<std::vector<Verdict>> Apply(std::vector<Document>* docs, Comm& comm) = 0;
};

struct Stage {
  std::string name;
  std::unique_ptr<DocumentStage> document;  // exactly one of the two is set
  std::unique_ptr<CorpusStage> corpus;
  // "sources": [...] in any stage's object: it sees only those sources'
  // documents; the others pass it untouched. Empty: every source.
  std::vector<std::string> sources;
  bool Applies(const Document& d) const;
};

// options: the stage's JSON object without "stage"; where: "stages[3]" for messages.
using StageFactory = std::function<StatusOr<Stage>(const nlohmann::json& options, const std::string& where)>;

// Builds a stage from its pipeline-file object (the names are in stage.cc's table).
StatusOr<Stage> MakeStage(const nlohmann::json& j, const std::string& where);
std::vector<std::string> StageNames();

// For factories: the value of `key` in `options` as T, or `fallback` when
// absent; a wrong type is an InvalidArgument naming where.key.
template <typename T>
StatusOr<T> StageOption(const nlohmann::json& options, const char* key, T fallback, const std::string& where) {
  if (!options.contains(key)) return fallback;
  try {
    return options.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgumentError("{}.{} has the wrong type ({})", where, key, options.at(key).dump());
  }
}
// The factories, one per stage_*.cc file.
StatusOr<Stage> MakeLangIdStage(const nlohmann::json& options, const std::string& where);
StatusOr<Stage> MakeDedupStage(const nlohmann::json& options, const std::string& where);
StatusOr<Stage> MakeBalanceStage(const nlohmann::json& options, const std::string& where);

// Unknown keys of `options` (besides `known`) are an error naming the first.
Status CheckStageKeys(const nlohmann::json& options, const std::vector<std::string>& known, const std::string& where);

}  // namespace seek
