// tests/data/minhash_test.cc — MinHash signatures: the fast path equals its
// reference twin (SimplifyTextRef, one string per n-gram, 128-bit modular
// arithmetic) on fresh random texts under random configs; the permutation
// parameters are in datatrove's ranges; the fraction of equal minimums
// estimates Jaccard; band keys follow the rows; JSON config overrides.
#include "data/minhash.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <set>

#include "core/random.h"
#include "core/threads.h"
#include "io/io_test_util.h"

namespace seek {
namespace {

using nlohmann::json;
using seek::testing::FreshSeed;

std::string RandomText(Rng& rng, int words) {
  static const std::array<const char*, 16> vocab = {
      "the",      "Lord", "said", "unto", "Moses,", "café",   "naïve", "3.14",
      "“quoted”", "and",  "中文", "end.", "HELLO",  "world!", "x",     "Ω"};
  std::string text;
  for (int w = 0; w < words; ++w) {
    if (w) text += rng.Below(8) == 0 ? "\n" : " ";
    text += vocab[rng.Below(vocab.size())];
    if (rng.Below(4) == 0) text += std::to_string(rng.Below(100));
  }
  return text;
}

MinHasher MakeHasher(const MinHashConfig& c) {
  auto h = MinHasher::Create(c);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return std::move(h).value();
}

TEST(MinHash, DefaultsAreDatatroves) {
  const MinHashConfig c;
  EXPECT_EQ(c.n_grams, 5);
  EXPECT_EQ(c.num_buckets, 14);
  EXPECT_EQ(c.hashes_per_bucket, 8);
  EXPECT_EQ(c.num_hashes(), 112);
  EXPECT_EQ(c.precision, 64);
  const MinHasher h = MakeHasher(c);
  for (int k = 0; k < c.num_hashes(); ++k) {
    EXPECT_GE(h.a()[k], 1u);
    EXPECT_LT(h.a()[k], kMersenne61);
    EXPECT_LT(h.b()[k], kMersenne61);
  }
  // The seed decides the permutations, the same on every worker.
  EXPECT_EQ(MakeHasher(c).a(), h.a());
  MinHashConfig other = c;
  other.seed = 2;
  EXPECT_NE(MakeHasher(other).a(), h.a());
}

TEST(MinHash, SignatureMatchesReference) {
  Rng rng(FreshSeed());
  for (int iter = 0; iter < 200; ++iter) {
    MinHashConfig c;
    if (iter % 2) {
      c.n_grams = 1 + static_cast<int>(rng.Below(7));
      c.num_buckets = 1 + static_cast<int>(rng.Below(20));
      c.hashes_per_bucket = 1 + static_cast<int>(rng.Below(10));
      c.precision = rng.Below(2) ? 32 : 64;
      c.seed = rng.NextU64();
    }
    const MinHasher h = MakeHasher(c);
    const std::string text = RandomText(rng, static_cast<int>(rng.Below(300)));
    MinHasher::Scratch scratch;
    std::vector<uint64_t> fast(c.num_hashes(), 7), ref;
    const bool has = h.Signature(text, &scratch, fast.data());
    ASSERT_EQ(has, SignatureRef(text, h, &ref)) << text;
    if (!has) continue;
    ASSERT_EQ(fast, ref) << "iter " << iter << " text: " << text;
    std::vector<uint64_t> shingles;
    h.Shingles(text, &scratch, &shingles);
    ASSERT_EQ(shingles, ShinglesRef(text, c));
    std::vector<uint64_t> from_shingles(c.num_hashes());
    h.SignatureOfShingles(shingles, from_shingles.data());
    ASSERT_EQ(from_shingles, fast);
    if (c.precision == 32) {
      for (uint64_t v : fast) ASSERT_LE(v, 0xFFFFFFFFu);
    }
  }
}

TEST(MinHash, ShortDocumentsHaveNoSignature) {
  const MinHasher h = MakeHasher({});
  MinHasher::Scratch scratch;
  std::vector<uint64_t> sig(112);
  EXPECT_FALSE(h.Signature("only four words here", &scratch, sig.data()));
  EXPECT_FALSE(h.Signature("four, words... but -- punctuation ?!", &scratch, sig.data()));
  EXPECT_TRUE(h.Signature("exactly five words are here", &scratch, sig.data()));
}

TEST(MinHash, EqualMinimumsEstimateJaccard) {
  Rng rng(FreshSeed());
  MinHashConfig c;
  c.num_buckets = 128;  // 1024 hashes: standard error <= 0.016
  const MinHasher h = MakeHasher(c);
  // Not "w" + to_string(n): GCC 12 -O3 warns there (-Wrestrict false positive).
  auto word = [](char first, uint64_t n) {
    std::string w(1, first);
    w += std::to_string(n);
    return w;
  };
  for (int iter = 0; iter < 10; ++iter) {
    std::vector<std::string> a, b;
    for (int w = 0; w < 400; ++w) a.push_back(word('w', rng.NextU64() % 1000000));
    b = a;
    const int edits = static_cast<int>(rng.Below(60));
    for (int e = 0; e < edits; ++e) b[rng.Below(b.size())] = word('z', rng.NextU64());
    auto join = [](const std::vector<std::string>& ws) {
      std::string s;
      for (const auto& w : ws) s += w + " ";
      return s;
    };
    MinHasher::Scratch scratch;
    std::vector<uint64_t> sa(c.num_hashes()), sb(c.num_hashes()), ha, hb;
    ASSERT_TRUE(h.Signature(join(a), &scratch, sa.data()));
    ASSERT_TRUE(h.Signature(join(b), &scratch, sb.data()));
    h.Shingles(join(a), &scratch, &ha);
    h.Shingles(join(b), &scratch, &hb);
    std::set<uint64_t> set_a(ha.begin(), ha.end()), set_b(hb.begin(), hb.end());
    std::vector<uint64_t> va(set_a.begin(), set_a.end()), vb(set_b.begin(), set_b.end());
    const double jaccard = Jaccard(va, vb);
    int equal = 0;
    for (int k = 0; k < c.num_hashes(); ++k) equal += sa[k] == sb[k];
    EXPECT_NEAR(static_cast<double>(equal) / c.num_hashes(), jaccard, 0.08) << "edits " << edits;
  }
}

TEST(MinHash, BandKeysFollowRows) {
  const MinHasher h = MakeHasher({});
  std::vector<uint64_t> sig(112);
  Rng rng(FreshSeed());
  for (auto& v : sig) v = rng.NextU64() & kMersenne61;
  std::vector<BandKey> k1(14), k2(14);
  h.BandKeys(sig.data(), k1.data());
  sig[3 * 8 + 5] ^= 1;  // one row of band 3
  h.BandKeys(sig.data(), k2.data());
  for (int band = 0; band < 14; ++band) EXPECT_EQ(k1[band] == k2[band], band != 3) << band;
}

TEST(MinHash, SketchesDoNotDependOnThreads) {
  Rng rng(FreshSeed());
  MinHashConfig c;
  c.check_jaccard = true;
  const MinHasher h = MakeHasher(c);
  std::vector<std::string> texts;
  for (int i = 0; i < 100; ++i) texts.push_back(RandomText(rng, static_cast<int>(rng.Below(200))));
  std::vector<std::string_view> views(texts.begin(), texts.end());
  const int saved = NumThreads();
  SetNumThreads(1);
  const MinHashSketches one = ComputeSketches(h, views);
  SetNumThreads(2);
  const MinHashSketches two = ComputeSketches(h, views);
  SetNumThreads(saved);
  EXPECT_EQ(one.band_keys, two.band_keys);
  EXPECT_EQ(one.has_signature, two.has_signature);
  EXPECT_EQ(one.shingle_sets, two.shingle_sets);
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<uint64_t> sig;
    ASSERT_EQ(one.has_signature[i] != 0, SignatureRef(texts[i], h, &sig));
    if (!one.has_signature[i]) continue;
    std::vector<BandKey> keys(14);
    h.BandKeys(sig.data(), keys.data());
    ASSERT_TRUE(std::equal(keys.begin(), keys.end(), one.band_keys.begin() + i * 14));
  }
}

TEST(MinHash, JaccardOfSortedSets) {
  const std::vector<uint64_t> a = {1, 2, 3, 4}, b = {3, 4, 5}, none;
  EXPECT_DOUBLE_EQ(Jaccard(a, b), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(Jaccard(a, a), 1.0);
  EXPECT_DOUBLE_EQ(Jaccard(a, none), 0.0);
  EXPECT_DOUBLE_EQ(Jaccard(none, none), 1.0);
}

TEST(MinHashConfig, JsonOverrides) {
  auto c = MinHashConfigFromJson(json::parse(R"({"n_grams": 3, "num_buckets": 20, "seed": 7,
      "precision": 32, "check_jaccard": true, "jaccard_threshold": 0.8,
      "norm": {"norm_numbers": false}})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->n_grams, 3);
  EXPECT_EQ(c->num_buckets, 20);
  EXPECT_EQ(c->hashes_per_bucket, 8);
  EXPECT_EQ(c->seed, 7u);
  EXPECT_EQ(c->precision, 32);
  EXPECT_TRUE(c->check_jaccard);
  EXPECT_DOUBLE_EQ(c->jaccard_threshold, 0.8);
  EXPECT_FALSE(c->norm.norm_numbers);
  EXPECT_TRUE(c->norm.lowercase);
}

TEST(MinHashConfig, JsonErrorsNameTheKey) {
  auto err = [](const char* text) {
    auto c = MinHashConfigFromJson(json::parse(text));
    EXPECT_FALSE(c.ok()) << text;
    return c.ok() ? std::string() : c.status().message();
  };
  EXPECT_NE(err(R"({"ngrams": 5})").find("minhash: unknown key 'ngrams'"), std::string::npos);
  EXPECT_NE(
      err(R"({"norm": {"norm_weekdays": true}})").find("minhash.norm: unknown key 'norm_weekdays'"),
      std::string::npos);
  EXPECT_NE(err(R"({"n_grams": "5"})").find("minhash.n_grams = \"5\": expected an integer"),
            std::string::npos);
  EXPECT_NE(err(R"({"n_grams": 0})").find("minhash.n_grams = 0"), std::string::npos);
  EXPECT_NE(err(R"({"precision": 48})").find("minhash.precision = 48: expected 32 or 64"),
            std::string::npos);
  EXPECT_NE(err(R"({"jaccard_threshold": 1.5})").find("minhash.jaccard_threshold = 1.5"),
            std::string::npos);
  EXPECT_NE(err(R"({"seed": -1})").find("minhash.seed = -1: expected a non-negative integer"),
            std::string::npos);
  EXPECT_NE(
      err(R"({"check_jaccard": 1})").find("minhash.check_jaccard = 1: expected true or false"),
      std::string::npos);
  EXPECT_NE(err(R"([1, 2])").find("minhash: expected a JSON object"), std::string::npos);
  EXPECT_NE(err(R"({"num_buckets": 100, "hashes_per_bucket": 100})").find("at most 4096"),
            std::string::npos);
}

}  // namespace
}  // namespace seek
