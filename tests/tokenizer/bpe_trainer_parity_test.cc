// tests/tokenizer/bpe_trainer_parity_test.cc — a tokenizer trained by Seek
// encodes and decodes identically in Seek and in transformers.js.
//
// Trains (vocab 2000) on a generated multilingual corpus (always) and on the
// first ~1 MB of data/raw/kjv.txt (skipped with a message if the file is
// absent), writes tokenizer.json + tokenizer_config.json into the build
// directory, runs node on js/reference_file_ids.mjs (@lenml/tokenizers loads
// the two files) over tests/tokenizer/corpus.txt, lines of the generated
// corpus and lines of kjv.txt, and requires identical ids (with and without
// special tokens), identical decoding and decode(encode(x)) == x on every
// text. Skipped, saying why, if node or the npm packages are missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/random.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/bpe_trainer_test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"

namespace seek {
namespace {

using seek::testing::FreshSeed;
using seek::testing::HaveNode;
using seek::testing::RandomCorpus;
using seek::testing::TokenizerTestDir;

bool HaveReference() {
  return std::filesystem::exists(TokenizerTestDir() / "js" / "node_modules" / "@lenml" /
                                 "tokenizers");
}

// Writes `texts` as a corpus file (one JSON string per line).
std::string WriteJsonLines(const std::vector<std::string>& texts, const std::string& name) {
  const std::string path = (seek::testing::BinaryDir() / name).string();
  std::ofstream out(path);
  for (const std::string& t : texts) out << nlohmann::json(t).dump() << "\n";
  return path;
}

std::vector<std::string> SplitLines(const std::string& text, size_t every, size_t max_lines) {
  std::vector<std::string> lines;
  size_t n = 0;
  for (size_t start = 0; start < text.size() && lines.size() < max_lines;) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    if (n++ % every == 0) lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

// Trains on `train_file` and writes the tokenizer into seek::testing::BinaryDir()/name.
std::string Train(const std::string& train_file, const std::string& name) {
  BpeTrainerOptions o;
  o.inputs = {train_file};
  o.vocab_size = 2000;
  o.progress = false;
  o.special_tokens = {"<|endoftext|>", "<|pad|>"};
  auto r = TrainBpe(o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return "";
  EXPECT_EQ(r->vocab.size(), 2000u);
  const std::string dir = (seek::testing::BinaryDir() / name).string();
  EXPECT_TRUE(WriteTrainedTokenizer(*r, o, dir).ok());
  return dir;
}

// Runs the reference over `corpus` (JSON lines) and compares every text.
void CheckAgainstReference(const std::string& dir, const std::string& corpus,
                           const std::string& label) {
  const std::string out = dir + "/reference_" + label + ".jsonl";
  const std::string cmd = "cd '" + (TokenizerTestDir() / "js").string() +
                          "' && node reference_file_ids.mjs '" + dir + "' '" + corpus + "' '" + out +
                          "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto tok = Tokenizer::FromFile(dir);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const std::vector<std::string> lines = seek::testing::ReadLines(corpus), ref = seek::testing::ReadLines(out),
                                 ref_special = seek::testing::ReadLines(out + ".special"),
                                 ref_decoded = seek::testing::ReadLines(out + ".decoded");
  ASSERT_EQ(ref.size(), lines.size());
  ASSERT_EQ(ref_special.size(), lines.size());
  ASSERT_EQ(ref_decoded.size(), lines.size());
  int same = 0, same_special = 0, same_decoded = 0, round_trips = 0, reported = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string text = nlohmann::json::parse(lines[i]).get<std::string>();
    const auto want = nlohmann::json::parse(ref[i]).get<std::vector<int32_t>>();
    const std::vector<int32_t> got = (*tok)->Encode(text, false);
    const std::string back = (*tok)->Decode(got);
    same += got == want;
    same_special += (*tok)->Encode(text, true) ==
                    nlohmann::json::parse(ref_special[i]).get<std::vector<int32_t>>();
    same_decoded += back == nlohmann::json::parse(ref_decoded[i]).get<std::string>();
    round_trips += back == text;
    if ((got != want || back != text) && reported++ < 5)
      ADD_FAILURE() << label << " line " << i + 1 << ": " << lines[i] << "\n  reference " << ref[i]
                    << "\n  seek      " << nlohmann::json(got).dump();
  }
  std::printf(
      "%s: ids identical on %d/%zu texts (%d/%zu with special tokens), decoding identical on %d, "
      "decode(encode(x)) == x on %d\n",
      label.c_str(), same, lines.size(), same_special, lines.size(), same_decoded, round_trips);
  EXPECT_EQ(same, static_cast<int>(lines.size()));
  EXPECT_EQ(same_special, static_cast<int>(lines.size()));
  EXPECT_EQ(same_decoded, static_cast<int>(lines.size()));
  EXPECT_EQ(round_trips, static_cast<int>(lines.size()));
}

void SkipWithoutReference() {
  if (!HaveNode()) GTEST_SKIP() << "node is not installed; the reference ids cannot be computed";
  if (!HaveReference())
    GTEST_SKIP() << "@lenml/tokenizers is not installed; run `cd tests/tokenizer/js && npm ci`";
}

TEST(BpeTrainerParity, GeneratedCorpus) {
  SkipWithoutReference();
  if (::testing::Test::IsSkipped()) return;
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::string text = RandomCorpus(&rng, 20000, 3000);
  const std::string train_file = (seek::testing::BinaryDir() / "bpe_trainer_generated.txt").string();
  std::ofstream(train_file) << text;
  const std::string dir = Train(train_file, "bpe_trainer_generated");
  ASSERT_FALSE(dir.empty());
  CheckAgainstReference(dir, (TokenizerTestDir() / "corpus.txt").string(),
                        "generated_on_corpus.txt");
  CheckAgainstReference(
      dir, WriteJsonLines(SplitLines(text, 7, 3000), "bpe_trainer_generated_lines.jsonl"),
      "generated_on_own_lines");
}

TEST(BpeTrainerParity, KingJamesBible) {
  SkipWithoutReference();
  if (::testing::Test::IsSkipped()) return;
  const std::filesystem::path kjv =
      TokenizerTestDir().parent_path().parent_path() / "data" / "raw" / "kjv.txt";
  std::ifstream in(kjv, std::ios::binary);
  if (!in)
    GTEST_SKIP() << kjv.string() << " is absent; the generated-corpus parity test still runs";
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string first_mb = all.substr(0, all.find('\n', size_t{1} << 20) + 1);
  const std::string train_file = (seek::testing::BinaryDir() / "bpe_trainer_kjv_1mb.txt").string();
  std::ofstream(train_file) << first_mb;
  const std::string dir = Train(train_file, "bpe_trainer_kjv");
  ASSERT_FALSE(dir.empty());
  CheckAgainstReference(dir, (TokenizerTestDir() / "corpus.txt").string(), "kjv_on_corpus.txt");
  // Every 8th line of the whole book: a quarter seen in training, the rest not.
  CheckAgainstReference(dir,
                        WriteJsonLines(SplitLines(all, 8, 100000), "bpe_trainer_kjv_lines.jsonl"),
                        "kjv_on_kjv_lines");
  // The vocabulary learnt from the first MB compresses the whole book.
  auto tok = Tokenizer::FromFile(dir);
  ASSERT_TRUE(tok.ok());
  int64_t tokens = 0;
  for (const std::string& line : SplitLines(all, 1, 1000000))
    tokens += static_cast<int64_t>((*tok)->Encode(line, false).size());
  const double bytes_per_token = static_cast<double>(all.size()) / tokens;
  std::printf("kjv.txt: %.3f bytes/token with a 2000-token vocabulary from its first MB\n",
              bytes_per_token);
  EXPECT_GT(bytes_per_token, 3.0);
}

}  // namespace
}  // namespace seek
