#include "data/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "core/random.h"
#include "io/io_test_util.h"
#include "io/shard.h"

namespace seek {
namespace {

using seek::testing::FreshSeed;
using seek::testing::ScratchDir;

// Random documents (lengths 1..3T) over a few shards. Token ids are a running
// counter, so every token names its document and place: the stream a loader
// yields can be checked without knowing its shuffle.
struct Corpus {
  ScratchDir dir;
  std::vector<std::string> paths;
  std::vector<int64_t> doc_len;         // [total docs], global order
  std::vector<int64_t> doc_of, pos_of;  // [total tokens]: token id -> (doc, place)
  int64_t total_tokens = 0;

  Corpus(Rng& rng, int64_t T) {
    const int n_shards = 1 + static_cast<int>(rng.Below(3));
    for (int s = 0; s < n_shards; ++s) {
      paths.push_back(dir.File("shard" + std::to_string(s) + ".bin"));
      ShardWriter w(paths.back(), 65536);
      const int n_docs = 12 + static_cast<int>(rng.Below(24));
      for (int d = 0; d < n_docs; ++d) {
        std::vector<int32_t> doc(1 + rng.Below(3 * T));
        for (size_t i = 0; i < doc.size(); ++i) {
          doc[i] = static_cast<int32_t>(total_tokens++);
          doc_of.push_back(static_cast<int64_t>(doc_len.size()));
          pos_of.push_back(static_cast<int64_t>(i));
        }
        doc_len.push_back(static_cast<int64_t>(doc.size()));
        EXPECT_TRUE(w.AddDocument(doc).ok());
      }
      EXPECT_TRUE(w.Finish().ok());
    }
  }
  int64_t num_docs() const { return static_cast<int64_t>(doc_len.size()); }
  bool IsDocEnd(int32_t t) const { return pos_of[t] == doc_len[doc_of[t]] - 1; }
  LoaderOptions Options(int64_t B, int64_t T, uint64_t seed) const {
    LoaderOptions o;
    o.shards = paths;
    o.batch_size = B;
    o.seq_len = T;
    o.seed = seed;
    o.val_fraction = 0.25;
    o.split_seed = seed ^ 0x5eed;
    return o;
  }
};

struct Batch {
  std::vector<int32_t> tokens, targets, doc_ids;
  bool operator==(const Batch&) const = default;
};

Batch NextBatch(DataLoader& loader) {
  const size_t n = loader.batch_size() * loader.seq_len();
  Batch b{std::vector<int32_t>(n, -7), std::vector<int32_t>(n, -7), std::vector<int32_t>(n, -7)};
  loader.Next(b.tokens.data(), b.targets.data(), b.doc_ids.data());
  return b;
}

DataLoader OpenOrDie(const LoaderOptions& o, Split split) {
  auto r = DataLoader::Open(o, split);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

// Reads batches until at least n stream tokens; returns all batches' rows concatenated.
void ReadStream(DataLoader& loader, int64_t n, Batch* all) {
  while (static_cast<int64_t>(all->tokens.size()) < n) {
    Batch b = NextBatch(loader);
    all->tokens.insert(all->tokens.end(), b.tokens.begin(), b.tokens.end());
    all->targets.insert(all->targets.end(), b.targets.begin(), b.targets.end());
    all->doc_ids.insert(all->doc_ids.end(), b.doc_ids.begin(), b.doc_ids.end());
  }
}

// Parses stream[begin, begin + n) into whole documents, in order; fails unless
// each is complete and contiguous.
std::vector<int64_t> DocsOf(const Corpus& c, const std::vector<int32_t>& stream, int64_t begin,
                            int64_t n) {
  std::vector<int64_t> docs;
  for (int64_t i = begin; i < begin + n;) {
    const int32_t t = stream[i];
    EXPECT_EQ(c.pos_of[t], 0) << "stream index " << i << " does not start a document";
    const int64_t g = c.doc_of[t];
    if (i + c.doc_len[g] > begin + n) {
      ADD_FAILURE() << "document " << g << " runs past stream index " << begin + n;
      break;
    }
    for (int64_t j = 0; j < c.doc_len[g]; ++j)
      EXPECT_EQ(stream[i + j], t + j) << "document " << g << " broken at stream index " << i + j;
    docs.push_back(g);
    i += c.doc_len[g];
  }
  return docs;
}

TEST(DataLoader, SameSeedSameBatchesDifferentSeedDifferentOrder) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t B = 1 + rng.Below(4), T = 1 + rng.Below(24);
  Corpus c(rng, T);
  LoaderOptions o = c.Options(B, T, seed);
  DataLoader a = OpenOrDie(o, Split::kTrain), b = OpenOrDie(o, Split::kTrain);
  const int64_t batches = 3 * a.num_tokens() / (B * T) + 2;
  for (int64_t i = 0; i < batches; ++i) ASSERT_EQ(NextBatch(a), NextBatch(b)) << "batch " << i;

  o.seed = seed + 1;
  DataLoader d = OpenOrDie(o, Split::kTrain);
  a.Reset();
  Batch sa, sd;
  ReadStream(a, 2 * a.num_tokens(), &sa);
  ReadStream(d, a.num_tokens(), &sd);
  std::vector<int32_t> epoch0(sa.tokens.begin(), sa.tokens.begin() + a.num_tokens());
  std::vector<int32_t> epoch1(sa.tokens.begin() + a.num_tokens(),
                              sa.tokens.begin() + 2 * a.num_tokens());
  if (a.num_docs() >= 8) {  // fewer could repeat an order by chance
    EXPECT_NE(epoch0, std::vector<int32_t>(sd.tokens.begin(), sd.tokens.begin() + a.num_tokens()));
    EXPECT_NE(epoch0, epoch1) << "each epoch must be reshuffled";
  }
}

TEST(DataLoader, EveryTrainingTokenOncePerEpochAndTargetsNeverCrossDocuments) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t B = 1 + rng.Below(4), T = 1 + rng.Below(24);
  Corpus c(rng, T);
  DataLoader loader = OpenOrDie(c.Options(B, T, seed), Split::kTrain);
  const int64_t N = loader.num_tokens();
  Batch s;
  while (static_cast<int64_t>(s.tokens.size()) < 3 * N + 1) {
    ReadStream(loader, s.tokens.size() + 1, &s);
    ASSERT_EQ(loader.epoch(), s.tokens.size() / N) << "seed " << seed;
  }
  for (int e = 0; e < 3; ++e) {
    std::vector<int64_t> docs = DocsOf(c, s.tokens, e * N, N);
    EXPECT_EQ(static_cast<int64_t>(docs.size()), loader.num_docs()) << "epoch " << e;
    EXPECT_EQ(std::set<int64_t>(docs.begin(), docs.end()).size(), docs.size())
        << "a document repeats within epoch " << e;
    if (e == 0) continue;
    std::vector<int32_t> a(s.tokens.begin(), s.tokens.begin() + N);
    std::vector<int32_t> b(s.tokens.begin() + e * N, s.tokens.begin() + (e + 1) * N);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << "epoch " << e << " holds other tokens than epoch 0";
  }
  // Targets, across row and batch boundaries: next stream token, or -1 at a document end.
  for (size_t i = 0; i + 1 < s.tokens.size(); ++i) {
    const int32_t want = c.IsDocEnd(s.tokens[i]) ? -1 : s.tokens[i + 1];
    ASSERT_EQ(s.targets[i], want) << "stream index " << i << " seed " << seed;
    if (want != -1) {
      ASSERT_EQ(want, s.tokens[i] + 1);
    }
  }
}

TEST(DataLoader, ValidationIsNaturalOrderRepeatedEachEpoch) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t B = 1 + rng.Below(4), T = 1 + rng.Below(24);
  Corpus c(rng, T);
  DataLoader loader = OpenOrDie(c.Options(B, T, seed), Split::kValidation);
  const int64_t N = loader.num_tokens();
  Batch s;
  ReadStream(loader, 2 * N + 1, &s);
  std::vector<int64_t> docs = DocsOf(c, s.tokens, 0, N);
  EXPECT_TRUE(std::is_sorted(docs.begin(), docs.end()));
  EXPECT_EQ(DocsOf(c, s.tokens, N, N), docs);
  for (size_t i = 0; i + 1 < s.tokens.size(); ++i)
    ASSERT_EQ(s.targets[i], c.IsDocEnd(s.tokens[i]) ? -1 : s.tokens[i + 1]) << i;

  NextBatch(loader);
  loader.Reset();
  EXPECT_EQ(loader.position(), LoaderPosition{});
  Batch again;
  ReadStream(loader, s.tokens.size(), &again);
  EXPECT_EQ(again.tokens, s.tokens);
  EXPECT_EQ(again.targets, s.targets);
}

TEST(DataLoader, DocIdsStartAtZeroEachRowAndStepAtDocumentStarts) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t B = 1 + rng.Below(4), T = 1 + rng.Below(24);
  Corpus c(rng, T);
  DataLoader loader = OpenOrDie(c.Options(B, T, seed), Split::kTrain);
  const int64_t batches = 2 * loader.num_tokens() / (B * T) + 2;
  for (int64_t k = 0; k < batches; ++k) {
    Batch b = NextBatch(loader);
    for (int64_t r = 0; r < B; ++r) {
      const int32_t* tok = b.tokens.data() + r * T;
      const int32_t* ids = b.doc_ids.data() + r * T;
      ASSERT_EQ(ids[0], 0) << "row " << r;
      for (int64_t t = 1; t < T; ++t)
        ASSERT_EQ(ids[t], ids[t - 1] + (c.pos_of[tok[t]] == 0 ? 1 : 0))
            << "batch " << k << " row " << r << " t " << t << " seed " << seed;
    }
  }
}

TEST(DataLoader, SeekResumesExactlyAcrossEpochsAndPositionRoundTripsJson) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t B = 1 + rng.Below(4), T = 1 + rng.Below(24);
  Corpus c(rng, T);
  const LoaderOptions o = c.Options(B, T, seed);
  for (Split split : {Split::kTrain, Split::kValidation}) {
    for (int trial = 0; trial < 4; ++trial) {
      DataLoader a = OpenOrDie(o, split);
      const int64_t per_epoch = a.num_tokens() / (B * T) + 1;
      const int64_t k = rng.Below(2 * per_epoch), m = per_epoch + 1 + rng.Below(per_epoch);
      for (int64_t i = 0; i < k; ++i) NextBatch(a);
      const LoaderPosition p = a.position();
      std::vector<Batch> want;
      for (int64_t i = 0; i < m; ++i) want.push_back(NextBatch(a));
      ASSERT_GT(a.epoch(), p.epoch) << "the m batches must cross an epoch boundary";

      auto parsed = LoaderPositionFromJson(nlohmann::json::parse(ToJson(p).dump()));
      ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
      ASSERT_EQ(*parsed, p);
      DataLoader b = OpenOrDie(o, split);
      NextBatch(b);  // start elsewhere, so Seek must rebuild the order
      ASSERT_TRUE(b.Seek(*parsed).ok());
      EXPECT_EQ(b.position(), p);
      for (int64_t i = 0; i < m; ++i)
        ASSERT_EQ(NextBatch(b), want[i])
            << SplitName(split) << " k " << k << " batch " << i << " seed " << seed;
      EXPECT_EQ(b.position(), a.position());
    }
  }
}

TEST(DataLoader, SplitIsDisjointCoversAllDocumentsAndIgnoresTheTrainingSeed) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t T = 1 + rng.Below(24);
  Corpus c(rng, T);
  LoaderOptions o = c.Options(2, T, seed);
  auto docs_of_split = [&](const LoaderOptions& opts, Split split) {
    DataLoader l = OpenOrDie(opts, split);
    Batch s;
    ReadStream(l, l.num_tokens(), &s);
    std::vector<int64_t> d = DocsOf(c, s.tokens, 0, l.num_tokens());
    EXPECT_EQ(static_cast<int64_t>(d.size()), l.num_docs());
    return std::set<int64_t>(d.begin(), d.end());
  };
  const std::set<int64_t> train = docs_of_split(o, Split::kTrain);
  const std::set<int64_t> val = docs_of_split(o, Split::kValidation);
  EXPECT_FALSE(val.empty());
  EXPECT_FALSE(train.empty());
  std::set<int64_t> all = train;
  for (int64_t g : val) EXPECT_TRUE(all.insert(g).second) << "document " << g << " in both";
  EXPECT_EQ(static_cast<int64_t>(all.size()), c.num_docs());

  LoaderOptions other_seed = o;
  other_seed.seed = ~seed;
  EXPECT_EQ(docs_of_split(other_seed, Split::kTrain), train);
  EXPECT_EQ(docs_of_split(other_seed, Split::kValidation), val);

  // A fraction too small to pick anything still holds out one document: the last.
  o.val_fraction = 1e-300;
  EXPECT_EQ(docs_of_split(o, Split::kValidation), std::set<int64_t>{c.num_docs() - 1});
  EXPECT_EQ(static_cast<int64_t>(docs_of_split(o, Split::kTrain).size()), c.num_docs() - 1);
}

TEST(DataLoader, ErrorsNameTheProblem) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  Corpus c(rng, 8);
  const LoaderOptions good = c.Options(2, 8, seed);
  auto open_error = [](const LoaderOptions& o, Split split = Split::kTrain) {
    auto r = DataLoader::Open(o, split);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  LoaderOptions o = good;
  o.shards.clear();
  EXPECT_NE(open_error(o).find("no shards"), std::string::npos);
  o = good;
  o.shards.push_back(c.dir.File("missing.bin"));
  EXPECT_NE(open_error(o).find("missing.bin"), std::string::npos);
  o = good;
  {
    std::FILE* f = std::fopen(c.dir.File("junk.bin").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("definitely not a shard, but long enough to hold a whole 64-byte header..", f);
    std::fclose(f);
  }
  o.shards.push_back(c.dir.File("junk.bin"));
  auto junk = DataLoader::Open(o, Split::kTrain);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(junk.status().message().find("junk.bin"), std::string::npos);

  ShardWriter w(c.dir.File("vocab100.bin"), 100);
  ASSERT_TRUE(w.AddDocument(std::vector<int32_t>{1, 2, 3}).ok());
  ASSERT_TRUE(w.Finish().ok());
  o = good;
  o.shards.push_back(c.dir.File("vocab100.bin"));
  const std::string vocab = open_error(o);
  EXPECT_NE(vocab.find("vocab100.bin"), std::string::npos) << vocab;
  EXPECT_NE(vocab.find(good.shards[0]), std::string::npos) << vocab;

  ShardWriter empty(c.dir.File("empty.bin"), 65536);
  ASSERT_TRUE(empty.Finish().ok());
  o = good;
  o.shards = {c.dir.File("empty.bin")};
  EXPECT_NE(open_error(o).find("no documents"), std::string::npos);

  ShardWriter one(c.dir.File("one.bin"), 65536);
  ASSERT_TRUE(one.AddDocument(std::vector<int32_t>{7, 8}).ok());
  ASSERT_TRUE(one.Finish().ok());
  o = good;
  o.shards = {c.dir.File("one.bin")};
  o.val_fraction = 0.5;  // a lone document trains, whatever the hash says
  EXPECT_EQ(OpenOrDie(o, Split::kTrain).num_docs(), 1);
  EXPECT_NE(open_error(o, Split::kValidation).find("validation split is empty"), std::string::npos);

  for (int64_t bad : {int64_t{0}, int64_t{-3}}) {
    o = good;
    o.batch_size = bad;
    EXPECT_NE(open_error(o).find("batch_size"), std::string::npos);
    o = good;
    o.seq_len = bad;
    EXPECT_NE(open_error(o).find("seq_len"), std::string::npos);
  }
  for (double bad : {-0.01, 0.51, 1.0, std::nan("")}) {
    o = good;
    o.val_fraction = bad;
    EXPECT_NE(open_error(o).find("val_fraction"), std::string::npos) << bad;
  }
  o = good;
  o.val_fraction = 0.0;
  EXPECT_NE(open_error(o, Split::kValidation).find("val_fraction = 0"), std::string::npos);
  EXPECT_TRUE(DataLoader::Open(o, Split::kTrain).ok());

  // Seek: out-of-range cursor or token leaves the position where it was.
  DataLoader l = OpenOrDie(good, Split::kTrain);
  NextBatch(l);
  const LoaderPosition before = l.position();
  EXPECT_FALSE(l.Seek({3, static_cast<uint64_t>(l.num_docs()), 0}).ok());
  const uint64_t cur = l.num_docs() - 1;
  ASSERT_TRUE(l.Seek({3, cur, 0}).ok());
  const int32_t first = NextBatch(l).tokens[0];
  const uint64_t len = c.doc_len[c.doc_of[first]];
  ASSERT_TRUE(l.Seek(before).ok());
  const Status past_end = l.Seek({3, cur, len});
  EXPECT_FALSE(past_end.ok());
  EXPECT_NE(past_end.message().find("token_in_doc"), std::string::npos) << past_end.message();
  EXPECT_EQ(l.position(), before);
  ASSERT_TRUE(l.Seek({3, cur, len - 1}).ok());
  Batch last = NextBatch(l);
  EXPECT_EQ(last.tokens[0], first + static_cast<int32_t>(len) - 1);
  EXPECT_EQ(last.targets[0], -1);

  // Position JSON errors name the field.
  EXPECT_FALSE(LoaderPositionFromJson(nlohmann::json::array()).ok());
  auto missing = LoaderPositionFromJson({{"epoch", 1}, {"doc_cursor", 2}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("token_in_doc"), std::string::npos);
  auto negative = LoaderPositionFromJson({{"epoch", 1}, {"doc_cursor", -2}, {"token_in_doc", 0}});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("doc_cursor"), std::string::npos);
  EXPECT_FALSE(
      LoaderPositionFromJson({{"epoch", "1"}, {"doc_cursor", 2}, {"token_in_doc", 0}}).ok());
  EXPECT_FALSE(
      LoaderPositionFromJson({{"epoch", 1.5}, {"doc_cursor", 2}, {"token_in_doc", 0}}).ok());
}

}  // namespace
}  // namespace seek
