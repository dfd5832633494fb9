// The `dedup` stage: exact and MinHash LSH near-duplicate removal across all
// sources (data/dedup.h). Options are DedupConfigFromJson's:
//   {"stage": "dedup", "exact": {...}, "minhash": {...}, "source_priority": [...]}
// Drop reasons: "exact_duplicate", "minhash_duplicate".
#include "data/dedup.h"
#include "data/stage.h"

namespace seek {
namespace {

class DedupStage : public CorpusStage {
 public:
  explicit DedupStage(DedupConfig c) : config_(std::move(c)) {}
  StatusOr<std::vector<Verdict>> Apply(std::vector<Document>* docs, Comm& comm) override {
    ASSIGN_OR_RETURN(DedupResult r, DeduplicateOnRanks(*docs, config_, comm));
    std::vector<Verdict> out;
    out.reserve(r.decisions.size());
    for (DedupDecision& d : r.decisions) out.push_back(std::move(d.verdict));
    return out;
  }

 private:
  DedupConfig config_;
};

}  // namespace

StatusOr<Stage> MakeDedupStage(const nlohmann::json& o, const std::string& where) {
  StatusOr<DedupConfig> c = DedupConfigFromJson(o);
  if (!c.ok()) return InvalidArgumentError("{}: {}", where, c.status().message());
  Stage s;
  s.corpus = std::make_unique<DedupStage>(std::move(*c));
  return s;
}

}  // namespace seek
