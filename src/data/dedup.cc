#include "data/dedup.h"

#include <xxhash.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "core/threads.h"
#include "io/json_options.h"
#include "data/union_find.h"

namespace seek {
namespace {

constexpr const char* kExactReason = "exact_duplicate";
constexpr const char* kMinHashReason = "minhash_duplicate";

bool IsAsciiSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// The text exact dedup compares: whitespace runs folded to one space,
// trimmed; or the simplified text.
std::string ExactText(std::string_view text, const DedupConfig& config) {
  if (config.exact_simplify) return SimplifyText(text, config.minhash.norm);
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (IsAsciiSpace(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

Status CheckUniqueIds(std::span<const Document> docs) {
  std::vector<uint32_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t x, uint32_t y) { return docs[x].id < docs[y].id; });
  for (size_t k = 1; k < order.size(); ++k) {
    if (docs[order[k - 1]].id == docs[order[k]].id)
      return InvalidArgumentError(
          "dedup: document id '{}' appears twice (documents {} and {}); ids must be unique "
          "for the keep rule",
          docs[order[k]].id, std::min(order[k - 1], order[k]), std::max(order[k - 1], order[k]));
  }
  return Status::Ok();
}

void Drop(DedupDecision* d, const char* reason, const std::string& kept_id) {
  d->verdict = Verdict::Drop(reason);
  d->duplicate_of = kept_id;
}

// An exact duplicate of a document that near-dup dedup then dropped names
// that document's keeper instead, so duplicate_of always names a kept one.
void PointToFinalKeepers(std::span<const Document> docs, DedupResult* result) {
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < docs.size(); ++i)
    if (!result->decisions[i].verdict.keep) index.emplace(docs[i].id, i);
  for (auto& d : result->decisions) {
    if (d.verdict.keep) continue;
    auto it = index.find(d.duplicate_of);
    if (it != index.end()) d.duplicate_of = result->decisions[it->second].duplicate_of;
  }
}

}  // namespace

StatusOr<DedupConfig> DedupConfigFromJson(const nlohmann::json& overrides,
                                          const DedupConfig& base) {
  DedupConfig c = base;
  JsonOptions f(overrides, "dedup");
  RETURN_IF_ERROR(f.CheckObject());
  if (const nlohmann::json* exact = f.Nested("exact")) {
    JsonOptions e(*exact, f.Path("exact"));
    RETURN_IF_ERROR(e.CheckObject());
    RETURN_IF_ERROR(e.ReadBool("enabled", &c.exact_enabled));
    RETURN_IF_ERROR(e.ReadBool("simplify", &c.exact_simplify));
    RETURN_IF_ERROR(e.Finish());
  }
  if (const nlohmann::json* minhash = f.Nested("minhash")) {
    JsonOptions m(*minhash, f.Path("minhash"));
    RETURN_IF_ERROR(m.CheckObject());
    RETURN_IF_ERROR(m.ReadBool("enabled", &c.minhash_enabled));
    nlohmann::json rest = *minhash;
    rest.erase("enabled");
    ASSIGN_OR_RETURN(c.minhash, MinHashConfigFromJson(rest, c.minhash, f.Path("minhash")));
  }
  RETURN_IF_ERROR(f.ReadStringList("source_priority", &c.source_priority));
  RETURN_IF_ERROR(f.Finish());
  return c;
}

size_t KeepOrder::Priority(const std::string& source) const {
  return static_cast<size_t>(std::find(priority_.begin(), priority_.end(), source) -
                             priority_.begin());
}

bool KeepOrder::Before(const Document& a, const Document& b) const {
  const size_t pa = Priority(a.source), pb = Priority(b.source);
  if (pa != pb) return pa < pb;
  return a.id < b.id;
}

std::vector<uint32_t> KeepOrder::Ranks(std::span<const Document> docs) const {
  std::vector<uint32_t> order(docs.size()), ranks(docs.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t x, uint32_t y) { return Before(docs[x], docs[y]); });
  for (uint32_t r = 0; r < order.size(); ++r) ranks[order[r]] = r;
  return ranks;
}

void AppendBandEntries(const MinHashSketches& sketches, uint32_t first_doc,
                       std::vector<BandEntry>* entries) {
  const int nb = sketches.num_buckets;
  for (size_t i = 0; i < sketches.size(); ++i) {
    if (!sketches.has_signature[i]) continue;
    for (int band = 0; band < nb; ++band)
      entries->push_back({sketches.band_keys[i * nb + band], static_cast<uint32_t>(band),
                          first_doc + static_cast<uint32_t>(i)});
  }
}

std::vector<std::pair<uint32_t, uint32_t>> DuplicateEdges(std::vector<BandEntry>* entries,
                                                          size_t n_docs, const PairFilter& accept,
                                                          DedupStats* stats) {
  auto& e = *entries;
  std::sort(e.begin(), e.end(), [](const BandEntry& x, const BandEntry& y) {
    if (x.band != y.band) return x.band < y.band;
    if (x.key != y.key) return x.key < y.key;
    return x.doc < y.doc;
  });
  UnionFind uf(n_docs);
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (size_t s = 0; s < e.size();) {
    size_t t = s + 1;
    while (t < e.size() && e[t].band == e[s].band && e[t].key == e[s].key) ++t;
    // Without a filter every member is a duplicate of the first; with one,
    // each pair is tested unless union-find already joined it, which leaves
    // the components those of all accepted pairs, in any order.
    for (size_t i = s; i < t; ++i) {
      for (size_t j = i + 1; j < t; ++j) {
        const uint32_t x = e[i].doc, y = e[j].doc;
        if (uf.Find(x) == uf.Find(y)) continue;
        ++stats->candidate_pairs;
        if (accept && !accept(x, y)) {
          ++stats->jaccard_rejected;
          continue;
        }
        uf.Union(x, y);
        edges.emplace_back(x, y);
      }
      if (!accept) break;
    }
    s = t;
  }
  return edges;
}

std::vector<uint32_t> ClusterKeepers(std::span<const std::pair<uint32_t, uint32_t>> edges,
                                     std::span<const uint32_t> ranks) {
  const size_t n = ranks.size();
  UnionFind uf(n);
  for (const auto& [x, y] : edges) uf.Union(x, y);
  std::vector<uint32_t> best(n, UINT32_MAX);  // by root: the member with the smallest rank
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t& b = best[uf.Find(i)];
    if (b == UINT32_MAX || ranks[i] < ranks[b]) b = i;
  }
  std::vector<uint32_t> keeper(n);
  for (uint32_t i = 0; i < n; ++i) keeper[i] = best[uf.Find(i)];
  return keeper;
}

StatusOr<DedupResult> Deduplicate(std::span<const Document> docs, const DedupConfig& config) {
  return DeduplicateOnRanks(docs, config, *LocalComm());
}

StatusOr<DedupResult> DeduplicateOnRanks(std::span<const Document> local, const DedupConfig& config, Comm& comm) {
  RETURN_IF_ERROR(ValidateMinHashConfig(config.minhash, "dedup.minhash"));
  const int64_t n_local = static_cast<int64_t>(local.size());

  // Round 1: every document's id, source and exact key, on every rank.
  std::vector<XXH128_hash_t> local_keys(local.size());
  if (config.exact_enabled) {
    ParallelFor(n_local, 64, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const std::string text = ExactText(local[i].text, config);
        local_keys[i] = XXH3_128bits(text.data(), text.size());
      }
    });
  }
  ByteWriter w1;
  w1.U64(local.size());
  for (size_t i = 0; i < local.size(); ++i) {
    w1.Str(local[i].source);
    w1.Str(local[i].id);
    w1.Raw(&local_keys[i], sizeof(XXH128_hash_t));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> round1, comm.AllGather(w1.bytes()));
  std::vector<Document> docs;  // id and source only: the keep rule's input
  std::vector<XXH128_hash_t> exact_keys;
  std::vector<size_t> rank_begin;  // first global index of each rank's documents
  for (const std::string& bytes : round1) {
    ByteReader in(bytes);
    const uint64_t n = in.U64();
    rank_begin.push_back(docs.size());
    for (uint64_t i = 0; i < n && in.ok(); ++i) {
      Document d;
      d.source = in.Str();
      d.id = in.Str();
      docs.push_back(std::move(d));
      exact_keys.emplace_back();
      in.Raw(&exact_keys.back(), sizeof(XXH128_hash_t));
    }
    if (!in.ok() || !in.done()) return InternalError("dedup: a rank's document keys arrived truncated");
  }
  const size_t my_begin = rank_begin[comm.rank()];
  if (docs.size() >= UINT32_MAX)
    return InvalidArgumentError("dedup: {} documents in one call; at most {} (32-bit indices)",
                                docs.size(), UINT32_MAX - 1);
  RETURN_IF_ERROR(CheckUniqueIds(docs));
  const KeepOrder order(config.source_priority);
  DedupResult result;
  result.decisions.resize(docs.size());
  result.stats.documents = static_cast<int64_t>(docs.size());
  const uint32_t n = static_cast<uint32_t>(docs.size());

  std::vector<uint32_t> alive;  // exact survivors, in corpus order
  if (config.exact_enabled) {
    std::vector<std::pair<XXH128_hash_t, uint32_t>> keys(n);
    for (uint32_t i = 0; i < n; ++i) keys[i] = {exact_keys[i], i};
    const std::vector<uint32_t> ranks = order.Ranks(docs);
    std::sort(keys.begin(), keys.end(), [&](const auto& x, const auto& y) {
      if (x.first.high64 != y.first.high64) return x.first.high64 < y.first.high64;
      if (x.first.low64 != y.first.low64) return x.first.low64 < y.first.low64;
      return ranks[x.second] < ranks[y.second];
    });
    for (size_t k = 0, first = 0; k < keys.size(); ++k) {
      if (k > 0 && XXH128_isEqual(keys[k].first, keys[first].first)) {
        Drop(&result.decisions[keys[k].second], kExactReason, docs[keys[first].second].id);
        ++result.stats.exact_dropped;
      } else {
        first = k;
      }
    }
    for (uint32_t i = 0; i < n; ++i)
      if (result.decisions[i].verdict.keep) alive.push_back(i);
  } else {
    alive.resize(n);
    std::iota(alive.begin(), alive.end(), 0u);
  }
  auto mine = [&](DedupResult r) {
    r.decisions.erase(r.decisions.begin() + static_cast<ptrdiff_t>(my_begin + local.size()), r.decisions.end());
    r.decisions.erase(r.decisions.begin(), r.decisions.begin() + static_cast<ptrdiff_t>(my_begin));
    return r;
  };
  if (!config.minhash_enabled) return mine(std::move(result));

  // Round 2: the sketches of this rank's survivors, then everyone's.
  ASSIGN_OR_RETURN(MinHasher hasher, MinHasher::Create(config.minhash));
  std::vector<std::string_view> texts;
  for (uint32_t i : alive)
    if (i >= my_begin && i < my_begin + local.size()) texts.push_back(local[i - my_begin].text);
  const MinHashSketches mine_sk = ComputeSketches(hasher, texts);
  ByteWriter w2;
  const int nb = mine_sk.num_buckets;
  for (size_t i = 0; i < mine_sk.size(); ++i) {
    w2.U64(mine_sk.has_signature[i]);
    w2.Raw(mine_sk.band_keys.data() + i * nb, sizeof(BandKey) * nb);
    if (config.minhash.check_jaccard) {
      w2.U64(mine_sk.shingle_sets[i].size());
      w2.Raw(mine_sk.shingle_sets[i].data(), sizeof(uint64_t) * mine_sk.shingle_sets[i].size());
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> round2, comm.AllGather(w2.bytes()));
  MinHashSketches sketches;
  sketches.num_buckets = nb;
  for (const std::string& bytes : round2) {
    ByteReader in(bytes);
    while (in.ok() && !in.done()) {
      sketches.has_signature.push_back(static_cast<uint8_t>(in.U64()));
      sketches.band_keys.resize(sketches.band_keys.size() + nb);
      in.Raw(sketches.band_keys.data() + sketches.band_keys.size() - nb, sizeof(BandKey) * nb);
      if (config.minhash.check_jaccard) {
        std::vector<uint64_t> set(in.U64());
        in.Raw(set.data(), sizeof(uint64_t) * set.size());
        sketches.shingle_sets.push_back(std::move(set));
      }
    }
    if (!in.ok()) return InternalError("dedup: a rank's sketches arrived truncated");
  }
  if (sketches.size() != alive.size())
    return InternalError("dedup: {} sketches for {} surviving documents", sketches.size(), alive.size());
  for (uint8_t has : sketches.has_signature) result.stats.no_signature += has ? 0 : 1;
  std::vector<BandEntry> entries;
  AppendBandEntries(sketches, 0, &entries);
  PairFilter accept;
  if (config.minhash.check_jaccard) {
    accept = [&](uint32_t x, uint32_t y) {
      return Jaccard(sketches.shingle_sets[x], sketches.shingle_sets[y]) >= config.minhash.jaccard_threshold;
    };
  }
  std::vector<Document> alive_docs;
  for (uint32_t i : alive) alive_docs.push_back(Document{{}, docs[i].source, docs[i].id, {}, {}});
  const auto edges = DuplicateEdges(&entries, alive.size(), accept, &result.stats);
  const std::vector<uint32_t> keeper = ClusterKeepers(edges, order.Ranks(alive_docs));
  for (uint32_t k = 0; k < alive.size(); ++k) {
    if (keeper[k] == k) continue;
    Drop(&result.decisions[alive[k]], kMinHashReason, docs[alive[keeper[k]]].id);
    ++result.stats.minhash_dropped;
  }
  PointToFinalKeepers(docs, &result);
  return mine(std::move(result));
}

StatusOr<DedupResult> DeduplicateRef(std::span<const Document> docs, const DedupConfig& config) {
  RETURN_IF_ERROR(ValidateMinHashConfig(config.minhash, "dedup.minhash"));
  RETURN_IF_ERROR(CheckUniqueIds(docs));
  const KeepOrder order(config.source_priority);
  DedupResult result;
  result.decisions.resize(docs.size());
  result.stats.documents = static_cast<int64_t>(docs.size());
  const size_t n = docs.size();
  std::vector<bool> alive(n, true);
  if (config.exact_enabled) {
    std::map<std::string, size_t> kept;  // exact text -> kept document
    for (size_t i = 0; i < n; ++i) {
      auto [it, fresh] = kept.emplace(ExactText(docs[i].text, config), i);
      if (!fresh && order.Before(docs[i], docs[it->second])) it->second = i;
    }
    for (size_t i = 0; i < n; ++i) {
      const size_t k = kept[ExactText(docs[i].text, config)];
      if (k == i) continue;
      Drop(&result.decisions[i], kExactReason, docs[k].id);
      alive[i] = false;
      ++result.stats.exact_dropped;
    }
  }
  if (!config.minhash_enabled) return result;
  ASSIGN_OR_RETURN(MinHasher hasher, MinHasher::Create(config.minhash));
  const MinHashConfig& c = config.minhash;
  std::vector<std::vector<uint64_t>> sigs(n), sets(n);
  std::vector<bool> has(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (!alive[i]) continue;
    has[i] = SignatureRef(docs[i].text, hasher, &sigs[i]);
    result.stats.no_signature += has[i] ? 0 : 1;
    sets[i] = ShinglesRef(docs[i].text, c);
    std::sort(sets[i].begin(), sets[i].end());
    sets[i].erase(std::unique(sets[i].begin(), sets[i].end()), sets[i].end());
  }
  std::vector<size_t> label(n);
  std::iota(label.begin(), label.end(), size_t{0});
  std::vector<std::pair<size_t, size_t>> pairs;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (!has[i] || !has[j]) continue;
      bool candidate = false;
      for (int band = 0; band < c.num_buckets && !candidate; ++band) {
        const auto bi = sigs[i].begin() + band * c.hashes_per_bucket;
        candidate =
            std::equal(bi, bi + c.hashes_per_bucket, sigs[j].begin() + band * c.hashes_per_bucket);
      }
      if (!candidate) continue;
      if (c.check_jaccard) {
        std::vector<uint64_t> common;
        std::set_intersection(sets[i].begin(), sets[i].end(), sets[j].begin(), sets[j].end(),
                              std::back_inserter(common));
        const double jac = static_cast<double>(common.size()) /
                           static_cast<double>(sets[i].size() + sets[j].size() - common.size());
        if (jac < c.jaccard_threshold) continue;
      }
      pairs.emplace_back(i, j);
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (auto [i, j] : pairs) {
      const size_t l = std::min(label[i], label[j]);
      changed |= label[i] != l || label[j] != l;
      label[i] = label[j] = l;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!has[i]) continue;
    size_t keep = i;
    for (size_t j = 0; j < n; ++j)
      if (has[j] && label[j] == label[i] && order.Before(docs[j], docs[keep])) keep = j;
    if (keep == i) continue;
    Drop(&result.decisions[i], kMinHashReason, docs[keep].id);
    ++result.stats.minhash_dropped;
  }
  PointToFinalKeepers(docs, &result);
  return result;
}

}  // namespace seek
