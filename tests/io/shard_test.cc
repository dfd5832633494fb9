#include "io/shard.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/random.h"
#include "io/file_util.h"

namespace seek {
namespace {

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string(name) + "_" + std::to_string(::getpid()) + ".bin"))
      .string();
}

TEST(Shard, RoundTripsDocumentsInBothTokenWidths) {
  const uint64_t seed = std::random_device{}();
  Rng rng(seed);
  for (int64_t vocab : {int64_t{300}, int64_t{65536}, int64_t{70000}}) {
    std::string path = TempPath("shard_rt");
    ShardWriter w(path, vocab);
    std::vector<std::vector<int32_t>> docs;
    for (int d = 0; d < 50; ++d) {
      std::vector<int32_t> doc(1 + rng.Below(40));
      for (auto& t : doc) t = static_cast<int32_t>(rng.Below(vocab));
      if (d == 3) doc.back() = static_cast<int32_t>(vocab - 1);
      ASSERT_TRUE(w.AddDocument(doc).ok());
      docs.push_back(doc);
    }
    ASSERT_TRUE(w.AddDocument({}).ok());  // skipped
    ASSERT_TRUE(w.Finish().ok());
    auto f = ShardFile::Open(path);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(f->token_bytes(), vocab <= 65536 ? 2 : 4);
    EXPECT_EQ(f->num_docs(), 50);
    EXPECT_EQ(f->vocab_size(), vocab);
    for (int d = 0; d < 50; ++d) {
      ASSERT_EQ(f->DocLength(d), static_cast<int64_t>(docs[d].size()));
      std::vector<int32_t> got(docs[d].size());
      f->ReadTokens(d, 0, got.size(), got.data());
      EXPECT_EQ(got, docs[d]) << "seed " << seed << " doc " << d;
    }
    std::filesystem::remove(path);
  }
}

TEST(Shard, CorruptionAndTruncationAreDataLossNamingTheFile) {
  std::string path = TempPath("shard_bad");
  ShardWriter w(path, 1000);
  std::vector<int32_t> doc = {1, 2, 3, 999, 5};
  ASSERT_TRUE(w.AddDocument(doc).ok());
  ASSERT_TRUE(w.AddDocument(doc).ok());
  ASSERT_TRUE(w.Finish().ok());
  std::string good = ReadFileToString(path).value();
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = ShardFile::Parse(good.substr(0, n), "cut.bin");
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_NE(r.status().message().find("cut.bin"), std::string::npos);
  }
  Rng rng(std::random_device{}());
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    size_t at = rng.Below(bad.size());
    bad[at] ^= static_cast<char>(1 + rng.Below(255));
    auto r = ShardFile::Parse(bad, "flip.bin");
    EXPECT_FALSE(r.ok()) << "flip at " << at;
  }
  std::string magic = good;
  magic[0] = 'X';
  EXPECT_NE(ShardFile::Parse(magic, "m.bin").status().message().find("bad magic"),
            std::string::npos);
  std::filesystem::remove(path);
}

TEST(Shard, WriterRejectsIdsOutsideTheVocabulary) {
  ShardWriter w(TempPath("shard_ids"), 10);
  std::vector<int32_t> doc = {1, 10};
  Status s = w.AddDocument(doc);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("id 10, outside [0, 10)"), std::string::npos) << s.ToString();
  std::vector<int32_t> neg = {-1};
  EXPECT_FALSE(w.AddDocument(neg).ok());
}

}  // namespace
}  // namespace seek
