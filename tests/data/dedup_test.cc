// tests/data/dedup_test.cc — deduplication on a synthetic corpus generated
// afresh each run (random-word documents and variants with word-level
// edits, true Jaccard of the 5-gram shingle sets computed exactly): recall
// of pairs with Jaccard >= 0.85, merge rate of pairs below 0.5; the same
// decisions for shuffled input, 1 or 2 threads and the all-pairs reference
// twin; exact dedup; the keep rule; config and input errors.
#include "data/dedup.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/random.h"
#include "core/threads.h"
#include "io/io_test_util.h"

namespace seek {
namespace {

using nlohmann::json;
using seek::testing::FreshSeed;
using Words = std::vector<std::string>;

Words MakeVocabulary(Rng& rng, size_t n) {
  std::set<std::string> seen;
  Words vocab;
  while (vocab.size() < n) {
    std::string w;
    const int len = 3 + static_cast<int>(rng.Below(8));
    for (int k = 0; k < len; ++k) w.push_back(static_cast<char>('a' + rng.Below(26)));
    if (seen.insert(w).second) vocab.push_back(w);
  }
  return vocab;
}

Words RandomWords(Rng& rng, const Words& vocab, size_t n) {
  Words ws;
  for (size_t k = 0; k < n; ++k) ws.push_back(vocab[rng.Below(vocab.size())]);
  return ws;
}

// Each word is edited with probability q: replaced, deleted, or preceded by
// a new word.
Words Edit(Rng& rng, const Words& vocab, const Words& base, double q) {
  Words out;
  for (const auto& w : base) {
    if (rng.Uniform() >= q) {
      out.push_back(w);
      continue;
    }
    switch (rng.Below(4)) {
      case 0:
      case 1: out.push_back(vocab[rng.Below(vocab.size())]); break;
      case 2: break;
      default: out.push_back(vocab[rng.Below(vocab.size())]); out.push_back(w);
    }
  }
  return out;
}

// Text whose simplified words are `ws`: random capitals, punctuation and
// line breaks that simplification removes.
std::string Render(Rng& rng, const Words& ws) {
  std::string text;
  for (size_t k = 0; k < ws.size(); ++k) {
    if (k) text += rng.Below(10) == 0 ? "\n" : " ";
    std::string w = ws[k];
    if (rng.Below(10) == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
    text += w;
    if (rng.Below(20) == 0) text += rng.Below(2) ? "," : ".";
  }
  return text;
}

double TrueJaccard(const Words& a, const Words& b, size_t n = 5) {
  auto shingles = [n](const Words& ws) {
    std::set<std::string> s;
    for (size_t i = 0; i + n <= ws.size(); ++i) {
      std::string g = ws[i];
      for (size_t k = 1; k < n; ++k) g += " " + ws[i + k];
      s.insert(g);
    }
    return s;
  };
  const auto sa = shingles(a), sb = shingles(b);
  size_t common = 0;
  for (const auto& g : sa) common += sb.count(g);
  return static_cast<double>(common) / static_cast<double>(sa.size() + sb.size() - common);
}

// id -> the id of the document its cluster keeps; every duplicate_of must
// name a kept document.
std::map<std::string, std::string> Keepers(std::span<const Document> docs, const DedupResult& r) {
  std::map<std::string, bool> kept;
  for (size_t i = 0; i < docs.size(); ++i) kept[docs[i].id] = r.decisions[i].verdict.keep;
  std::map<std::string, std::string> keeper;
  for (size_t i = 0; i < docs.size(); ++i) {
    const DedupDecision& d = r.decisions[i];
    keeper[docs[i].id] = d.verdict.keep ? docs[i].id : d.duplicate_of;
    if (!d.verdict.keep) {
      EXPECT_TRUE(kept.at(d.duplicate_of)) << docs[i].id << " -> " << d.duplicate_of;
    }
  }
  return keeper;
}

DedupResult DedupOrFail(std::span<const Document> docs, const DedupConfig& config) {
  auto r = Deduplicate(docs, config);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : DedupResult{};
}

// Pairs (base, variant) with the target Jaccard drawn uniformly from [0, 1].
TEST(Dedup, SyntheticCorpusRecallAndFalseMerges) {
  Rng rng(FreshSeed());
  const Words vocab = MakeVocabulary(rng, 50000);
  std::vector<Document> docs;
  std::vector<double> jaccard;  // per pair
  const int kPairs = 6000;
  for (int p = 0; p < kPairs; ++p) {
    const Words base = RandomWords(rng, vocab, 60 + rng.Below(140));
    // Fraction of kept shingles s with J = s / (2 - s), and s ~ (1 - q)^5.
    const double target = rng.Uniform();
    const double q = 1.0 - std::pow(2.0 * target / (1.0 + target), 0.2);
    const Words variant = Edit(rng, vocab, base, q);
    jaccard.push_back(TrueJaccard(base, variant));
    docs.push_back({Render(rng, base), "web", fmt::format("pair{:05d}/a", p), "", {}});
    docs.push_back({Render(rng, variant), "web", fmt::format("pair{:05d}/b", p), "", {}});
  }
  for (bool check : {false, true}) {
    DedupConfig config;
    config.minhash.check_jaccard = check;
    const DedupResult r = DedupOrFail(docs, config);
    const auto keeper = Keepers(docs, r);
    int high = 0, found = 0, low = 0, merged = 0, cross = 0;
    double expected = 0;  // LSH theory for the low pairs: 1 - (1 - J^8)^14
    std::map<std::string, std::set<int>> families;  // kept id -> pairs in its cluster
    for (int p = 0; p < kPairs; ++p) {
      const bool same = keeper.at(docs[2 * p].id) == keeper.at(docs[2 * p + 1].id);
      families[keeper.at(docs[2 * p].id)].insert(p);
      families[keeper.at(docs[2 * p + 1].id)].insert(p);
      if (jaccard[p] >= 0.85) high++, found += same;
      if (jaccard[p] < 0.5) {
        low++, merged += same;
        expected += 1 - std::pow(1 - std::pow(jaccard[p], 8), 14);
      }
    }
    for (const auto& [k, f] : families) cross += f.size() > 1;
    const double recall = static_cast<double>(found) / high;
    const double false_rate = static_cast<double>(merged) / low;
    std::printf(
        "[ quality  ] check_jaccard=%d: recall %.4f (%d/%d pairs J>=0.85), merged %.4f "
        "(%d/%d pairs J<0.5; LSH theory %.1f), clusters across pairs %d, "
        "candidate pairs %lld, Jaccard-rejected %lld\n",
        check, recall, found, high, false_rate, merged, low, expected, cross,
        static_cast<long long>(r.stats.candidate_pairs),
        static_cast<long long>(r.stats.jaccard_rejected));
    ASSERT_GT(high, 500);
    ASSERT_GT(low, 2000);
    EXPECT_GE(recall, 0.95);
    EXPECT_EQ(cross, 0);
    if (check) {
      EXPECT_LE(false_rate, 0.01);
    } else {
      // Without the check the rate is LSH's own (~0.6% for J uniform on
      // [0, 0.5)); hold it to the theory with a 5-sigma margin rather than
      // to 0.01, which a fresh corpus would cross by chance now and then.
      EXPECT_LE(merged, expected + 5 * std::sqrt(expected) + 3);
    }
  }
}

// Families of near-duplicates, exact copies, short documents, three sources.
std::vector<Document> MixedCorpus(Rng& rng) {
  const Words vocab = MakeVocabulary(rng, 5000);
  const std::array<const char*, 3> sources = {"books", "docs", "web"};
  std::vector<Document> docs;
  auto add = [&](std::string text) {
    docs.push_back(
        {std::move(text), sources[rng.Below(3)], fmt::format("{:016x}", rng.NextU64()), "", {}});
  };
  for (int f = 0; f < 40; ++f) {
    const Words base = RandomWords(rng, vocab, 20 + rng.Below(100));
    add(Render(rng, base));
    const int variants = static_cast<int>(rng.Below(5));
    for (int v = 0; v < variants; ++v)
      add(Render(rng, Edit(rng, vocab, base, 0.1 * rng.Uniform())));
    if (rng.Below(3) == 0) add(docs.back().text);                  // exact copy
    if (rng.Below(3) == 0) add("  " + docs.back().text + "\n\n");  // copy up to spaces
  }
  for (int s = 0; s < 5; ++s) add(Render(rng, RandomWords(rng, vocab, rng.Below(5))));
  return docs;
}

TEST(Dedup, SameDecisionsForAnyOrderAndThreadsAndAsReference) {
  Rng rng(FreshSeed());
  const std::vector<Document> docs = MixedCorpus(rng);
  std::vector<Document> shuffled = docs;
  for (size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[rng.Below(i)]);
  auto by_id = [](std::span<const Document> ds, const DedupResult& r) {
    std::map<std::string, std::string> m;
    for (size_t i = 0; i < ds.size(); ++i)
      m[ds[i].id] = r.decisions[i].verdict.reason + ":" + r.decisions[i].duplicate_of;
    return m;
  };
  const int saved = NumThreads();
  for (int variant = 0; variant < 4; ++variant) {
    DedupConfig config;
    config.minhash.check_jaccard = variant & 1;
    if (variant & 2) config.source_priority = {"docs", "books"};
    SetNumThreads(1);
    const DedupResult one = DedupOrFail(docs, config);
    SetNumThreads(2);
    const DedupResult two = DedupOrFail(shuffled, config);
    auto ref = DeduplicateRef(docs, config);
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    Keepers(docs, one);  // checks that every duplicate_of names a kept document
    const auto expected = by_id(docs, one);
    EXPECT_EQ(by_id(shuffled, two), expected) << "variant " << variant;
    EXPECT_EQ(by_id(docs, *ref), expected) << "variant " << variant;
    EXPECT_EQ(one.stats.exact_dropped, ref->stats.exact_dropped);
    EXPECT_EQ(one.stats.minhash_dropped, ref->stats.minhash_dropped);
    EXPECT_EQ(one.stats.no_signature, ref->stats.no_signature);
    EXPECT_GT(one.stats.minhash_dropped, 0);
    EXPECT_GT(one.stats.exact_dropped, 0);
  }
  SetNumThreads(saved);
}

TEST(Dedup, KeepRuleSmallestIdOrSourcePriority) {
  const std::string text =
      "In the beginning God created the heaven and the earth. And the earth was without form.";
  std::string shouted = text;
  std::transform(shouted.begin(), shouted.end(), shouted.begin(), ::toupper);
  const std::vector<Document> docs = {
      {text, "web", "a/3", "", {}},
      {shouted + "!!", "books", "b/1", "", {}},
      {"  " + text + "\n", "docs", "c/2", "", {}},  // an exact copy of a/3 up to spaces
      {"Something else entirely, with enough words to sign.", "web", "d/0", "", {}},
  };
  auto decide = [&](const DedupConfig& config) {
    const DedupResult r = DedupOrFail(docs, config);
    std::vector<std::string> out;
    for (const auto& d : r.decisions)
      out.push_back(d.verdict.keep ? "keep" : d.verdict.reason + ":" + d.duplicate_of);
    return out;
  };
  DedupConfig config;
  EXPECT_EQ(decide(config), (std::vector<std::string>{"keep", "minhash_duplicate:a/3",
                                                      "exact_duplicate:a/3", "keep"}));
  config.source_priority = {"docs", "books"};
  EXPECT_EQ(decide(config), (std::vector<std::string>{"exact_duplicate:c/2",
                                                      "minhash_duplicate:c/2", "keep", "keep"}));
  config.source_priority = {"books"};
  // c/2 is an exact copy of a/3, which is a near-duplicate of b/1: c/2
  // names the kept b/1.
  EXPECT_EQ(decide(config), (std::vector<std::string>{"minhash_duplicate:b/1", "keep",
                                                      "exact_duplicate:b/1", "keep"}));
  config = {};
  config.exact_simplify = true;  // case and punctuation differences are exact duplicates too
  EXPECT_EQ(decide(config), (std::vector<std::string>{"keep", "exact_duplicate:a/3",
                                                      "exact_duplicate:a/3", "keep"}));
  config = {};
  config.exact_enabled = false;
  EXPECT_EQ(decide(config), (std::vector<std::string>{"keep", "minhash_duplicate:a/3",
                                                      "minhash_duplicate:a/3", "keep"}));
  config.minhash_enabled = false;
  EXPECT_EQ(decide(config), (std::vector<std::string>{"keep", "keep", "keep", "keep"}));
}

TEST(Dedup, ShortDocumentsAreKeptAndCounted) {
  const std::vector<Document> docs = {{"four words only here", "web", "x/1", "", {}},
                                      {"four words only here!", "web", "x/2", "", {}},
                                      {"", "web", "x/3", "", {}}};
  const DedupResult r = DedupOrFail(docs, {});
  EXPECT_TRUE(r.decisions[0].verdict.keep);
  EXPECT_TRUE(r.decisions[1].verdict.keep);  // not exact, and no signature to compare
  EXPECT_TRUE(r.decisions[2].verdict.keep);
  EXPECT_EQ(r.stats.no_signature, 3);
}

TEST(Dedup, DuplicateIdsAreAnError) {
  const std::vector<Document> docs = {
      {"a", "web", "same", "", {}}, {"b", "web", "other", "", {}}, {"c", "books", "same", "", {}}};
  auto r = Deduplicate(docs, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("document id 'same' appears twice (documents 0 and 2)"),
            std::string::npos)
      << r.status().message();
}

TEST(DedupConfig, JsonOverrides) {
  auto c = DedupConfigFromJson(json::parse(R"({"exact": {"simplify": true},
      "minhash": {"enabled": true, "num_buckets": 20, "check_jaccard": true},
      "source_priority": ["books", "docs"]})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->exact_enabled);
  EXPECT_TRUE(c->exact_simplify);
  EXPECT_EQ(c->minhash.num_buckets, 20);
  EXPECT_EQ(c->minhash.hashes_per_bucket, 8);
  EXPECT_TRUE(c->minhash.check_jaccard);
  EXPECT_EQ(c->source_priority, (std::vector<std::string>{"books", "docs"}));
  auto off = DedupConfigFromJson(json::parse(R"({"minhash": {"enabled": false}})"));
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->minhash_enabled);
}

TEST(DedupConfig, JsonErrorsNameTheKey) {
  auto err = [](const char* text) {
    auto c = DedupConfigFromJson(json::parse(text));
    EXPECT_FALSE(c.ok()) << text;
    return c.ok() ? std::string() : c.status().message();
  };
  EXPECT_NE(err(R"({"fuzzy": {}})")
                .find("dedup: unknown key 'fuzzy' (valid keys: exact, minhash, "
                      "source_priority)"),
            std::string::npos);
  EXPECT_NE(err(R"({"exact": {"enable": true}})").find("dedup.exact: unknown key 'enable'"),
            std::string::npos);
  EXPECT_NE(err(R"({"minhash": {"bands": 14}})").find("dedup.minhash: unknown key 'bands'"),
            std::string::npos);
  EXPECT_NE(err(R"({"minhash": {"n_grams": -1}})").find("dedup.minhash.n_grams = -1"),
            std::string::npos);
  EXPECT_NE(err(R"({"minhash": {"enabled": "yes"}})").find("dedup.minhash.enabled = \"yes\""),
            std::string::npos);
  EXPECT_NE(err(R"({"source_priority": "books"})")
                .find("dedup.source_priority = \"books\": expected an array of strings"),
            std::string::npos);
  EXPECT_NE(err(R"({"source_priority": ["books", 3]})").find("expected an array of strings"),
            std::string::npos);
  EXPECT_NE(err(R"("dedup")").find("dedup: expected a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace seek
