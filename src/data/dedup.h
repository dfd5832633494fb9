// data/dedup.h — exact and near-duplicate (MinHash LSH) deduplication of a
// set of documents across all sources, with a stable keep rule.
//
// Exact: XXH3-128 of each document's text with whitespace runs folded to one
// space and trimmed (or of its simplified text, `exact.simplify`). 128 bits
// because a false match silently drops a unique document: among 10^9
// documents a 64-bit hash collides somewhere with probability ~3%, a 128-bit
// one with ~10^-21; XXH3 is also the faster of the two.
//
// Near-duplicate, in two phases so that an MPI run can split them:
//   (a) sketches (minhash.h): a pure function of each text, multithreaded;
//   (b) band entries (band, key, doc) grouped by equal (band, key): every
//       document of a group is a candidate duplicate of the others; the
//       candidate pairs (optionally only those whose exact shingle Jaccard
//       passes the threshold) are the edges of a graph whose connected
//       components, found with union-find, are the duplicate clusters.
// Each cluster keeps one document: the first in KeepOrder (sources in
// `source_priority` order first, unlisted sources after them; then the
// smallest id, compared bytewise). The others are dropped with the reason
// "exact_duplicate" / "minhash_duplicate" (stable names to count by, as
// Verdict asks) and the kept id in `duplicate_of` (an exact duplicate of a
// document that near-dup dedup dropped names that document's keeper). Clusters and keepers
// depend only on the documents' texts, sources and ids: not on the input
// order or the thread count. Exact dedup runs first; near-dup then sees only
// the exact survivors.
//
// Thread-safety: the functions are reentrant; they use the OpenMP threads.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "data/document.h"
#include "data/minhash.h"
#include "io/comm.h"

namespace seek {

struct DedupConfig {
  bool exact_enabled = true;
  bool exact_simplify = false;  // hash the simplified text (minhash.norm) instead
  bool minhash_enabled = true;
  MinHashConfig minhash;
  std::vector<std::string> source_priority;  // keep rule: earlier sources win
};

// `base` with the overrides of a JSON object applied:
//   {"exact": {"enabled": bool, "simplify": bool},
//    "minhash": {"enabled": bool, <MinHashConfigFromJson keys>},
//    "source_priority": ["books", ...]}
// Unknown keys, wrong types and out-of-range values are InvalidArgument
// errors that name the key ("dedup.minhash.n_grams").
StatusOr<DedupConfig> DedupConfigFromJson(const nlohmann::json& overrides,
                                          const DedupConfig& base = {});

// The keep rule: Before(a, b) when a is kept over b.
class KeepOrder {
 public:
  explicit KeepOrder(std::vector<std::string> source_priority)
      : priority_(std::move(source_priority)) {}
  bool Before(const Document& a, const Document& b) const;
  // Each document's position in keep order: [docs.size()], a permutation.
  std::vector<uint32_t> Ranks(std::span<const Document> docs) const;

 private:
  size_t Priority(const std::string& source) const;
  std::vector<std::string> priority_;
};

struct DedupDecision {
  Verdict verdict;           // !keep: reason "exact_duplicate" or "minhash_duplicate"
  std::string duplicate_of;  // the kept document's id when dropped; "" when kept
};

struct DedupStats {
  int64_t documents = 0;
  int64_t exact_dropped = 0;
  int64_t no_signature = 0;     // fewer than n_grams words: never near-duplicates
  int64_t candidate_pairs = 0;  // pairs tested (pairs already in one cluster are skipped)
  int64_t jaccard_rejected = 0;
  int64_t minhash_dropped = 0;
};

struct DedupResult {
  std::vector<DedupDecision> decisions;  // [docs.size()], in input order
  DedupStats stats;
};

// Both stages as configured. Errors: a config out of range, two documents
// with one id (the keep rule needs ids to be unique).
StatusOr<DedupResult> Deduplicate(std::span<const Document> docs, const DedupConfig& config);

// The same over a corpus split between the ranks of `comm` (collective):
// `docs` is this rank's part, the corpus is the ranks' parts in rank order.
// Two AllGathers carry what the decision needs: each document's id, source
// and exact key, then the band keys (and, with check_jaccard, the shingle
// sets) of the exact survivors; every rank then decides the same way, so the
// result equals Deduplicate on the whole corpus. Returns the decisions of
// this rank's documents; the stats are the whole corpus's. Deduplicate is
// this with one rank.
StatusOr<DedupResult> DeduplicateOnRanks(std::span<const Document> docs, const DedupConfig& config, Comm& comm);

// ---- Phase (b) building blocks (Deduplicate uses them; an MPI run can
// exchange BandEntry records between ranks and union the edges on one). ----

struct BandEntry {
  BandKey key;
  uint32_t band = 0;
  uint32_t doc = 0;  // the document's global index
};

// Appends the entries of every sketched document: doc = first_doc + index.
void AppendBandEntries(const MinHashSketches& sketches, uint32_t first_doc,
                       std::vector<BandEntry>* entries);

// accept(x, y): whether candidate pair (x, y) is a duplicate (null: all are).
using PairFilter = std::function<bool(uint32_t, uint32_t)>;

// Sorts `entries` and returns a spanning forest of the duplicate graph on
// documents 0..n_docs-1 (edges between documents with an equal (band, key)
// that pass `accept`). Counts candidate_pairs and jaccard_rejected.
std::vector<std::pair<uint32_t, uint32_t>> DuplicateEdges(std::vector<BandEntry>* entries,
                                                          size_t n_docs, const PairFilter& accept,
                                                          DedupStats* stats);

// keeper[i] = the document that document i's cluster keeps (i itself when i
// is kept): the member with the smallest rank. ranks: [n_docs].
std::vector<uint32_t> ClusterKeepers(std::span<const std::pair<uint32_t, uint32_t>> edges,
                                     std::span<const uint32_t> ranks);

// Reference twin of Deduplicate for small inputs: exact keys compared as
// strings, SignatureRef per document, every pair of documents compared band
// by band on the signature rows themselves (and by exact Jaccard of the
// shingle sets when check_jaccard), clusters by repeated relabelling.
StatusOr<DedupResult> DeduplicateRef(std::span<const Document> docs, const DedupConfig& config);

}  // namespace seek
