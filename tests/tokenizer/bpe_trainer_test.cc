// tests/tokenizer/bpe_trainer_test.cc — the BPE trainer against a plain
// reference twin (recounting every pair after each merge), on fresh random
// corpora; the trained files in Seek's Tokenizer; and (bpe_trainer_parity)
// ids identical to transformers.js.
#include "tokenizer/bpe_trainer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "core/random.h"
#include "tokenizer/bpe_trainer_test_util.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

using seek::testing::FreshSeed;
using seek::testing::RandomCorpus;

struct NaiveResult {
  std::vector<std::string> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<int64_t> merge_counts;
};

// The reference twin: after every merge all pairs are counted again.
NaiveResult NaiveTrain(const WordCounts& counts, const BpeTrainerOptions& o) {
  NaiveResult r;
  std::map<std::string, int32_t> ids;
  const auto add = [&](const std::string& t) {
    const auto [it, added] = ids.emplace(t, static_cast<int32_t>(r.vocab.size()));
    if (added) r.vocab.push_back(t);
    return it->second;
  };
  for (const std::string& s : o.special_tokens) add(s);
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  std::vector<std::string> chars;
  for (int b = 0; b < 256; ++b) chars.push_back(alphabet.Encode(b));
  std::vector<std::pair<uint32_t, std::string>> by_code_point;
  for (const std::string& c : chars) {
    uint32_t cp = static_cast<uint8_t>(c[0]);
    if (c.size() == 2) cp = ((cp & 0x1F) << 6) | (static_cast<uint8_t>(c[1]) & 0x3F);
    by_code_point.emplace_back(cp, c);
  }
  std::sort(by_code_point.begin(), by_code_point.end());
  for (const auto& [cp, c] : by_code_point) add(c);

  std::vector<std::vector<int32_t>> words;
  std::vector<int64_t> word_counts;
  for (const auto& [w, c] : counts) {
    std::vector<int32_t> s;
    for (char ch : w) s.push_back(ids.at(alphabet.Encode(static_cast<uint8_t>(ch))));
    words.push_back(s);
    word_counts.push_back(c);
  }
  const int64_t min_count = std::max<int64_t>(1, o.min_frequency);
  while (static_cast<int64_t>(r.vocab.size()) < o.vocab_size) {
    std::map<std::pair<int32_t, int32_t>, int64_t> pairs;
    for (size_t w = 0; w < words.size(); ++w)
      for (size_t i = 0; i + 1 < words[w].size(); ++i)
        pairs[{words[w][i], words[w][i + 1]}] += word_counts[w];
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_count = 0;
    for (const auto& [p, c] : pairs)  // ascending pairs: the first of the highest count wins
      if (c > best_count) best = p, best_count = c;
    if (best_count < min_count) break;
    const int32_t z = add(r.vocab[best.first] + r.vocab[best.second]);
    r.merges.emplace_back(r.vocab[best.first], r.vocab[best.second]);
    r.merge_counts.push_back(best_count);
    for (auto& s : words) {
      std::vector<int32_t> out;
      for (size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == best.first && s[i + 1] == best.second) {
          out.push_back(z);
          i += 2;
        } else {
          out.push_back(s[i++]);
        }
      }
      s = std::move(out);
    }
  }
  return r;
}

std::vector<std::pair<std::string, std::string>> MergeStrings(const BpeTrainingResult& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [a, b] : r.merges) out.emplace_back(r.vocab[a], r.vocab[b]);
  return out;
}

BpeTrainerOptions Quiet(int64_t vocab, int64_t min_frequency = 0, int threads = 1) {
  BpeTrainerOptions o;
  o.vocab_size = vocab;
  o.min_frequency = min_frequency;
  o.threads = threads;
  o.progress = false;
  return o;
}

void ExpectSameAsNaive(const std::string& corpus, const BpeTrainerOptions& o, uint64_t seed) {
  auto counts = CountWordsInText(corpus, o);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  auto fast = TrainBpeFromCounts(*counts, o);
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  const NaiveResult naive = NaiveTrain(*counts, o);
  ASSERT_EQ(fast->vocab.size(), naive.vocab.size()) << "seed " << seed;
  ASSERT_EQ(fast->merges.size(), naive.merges.size()) << "seed " << seed;
  const auto merges = MergeStrings(*fast);
  for (size_t i = 0; i < merges.size(); ++i)
    ASSERT_EQ(merges[i], naive.merges[i]) << "merge " << i << " differs, seed " << seed;
  EXPECT_EQ(fast->vocab, naive.vocab) << "seed " << seed;
  for (int64_t c : naive.merge_counts) EXPECT_GE(c, std::max<int64_t>(1, o.min_frequency));
}

TEST(BpeTrainer, MergesIdenticalToNaiveTwinOnRandomCorpora) {
  for (int round = 0; round < 6; ++round) {
    const uint64_t seed = FreshSeed();
    Rng rng(seed);
    const std::string corpus = RandomCorpus(&rng, 300 + rng.NextU64() % 1500, /*vocab_words=*/200);
    const int64_t vocab = 257 + 20 + static_cast<int64_t>(rng.NextU64() % 400);
    const int64_t min_frequency = static_cast<int64_t>(rng.NextU64() % 4);
    const int threads = 1 + static_cast<int>(rng.NextU64() % 4);
    ExpectSameAsNaive(corpus, Quiet(vocab, min_frequency, threads), seed);
  }
}

// Enough distinct words that the merges of the first steps run on threads.
TEST(BpeTrainer, MergesIdenticalToNaiveTwinWithManyWords) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::string corpus = RandomCorpus(&rng, 6000, /*vocab_words=*/12000);
  ExpectSameAsNaive(corpus, Quiet(257 + 150, 0, 4), seed);
}

// Runs of one symbol ("aaaa") merge left to right, not overlapping.
TEST(BpeTrainer, RepeatedSymbolsMatchNaiveTwin) {
  const std::string corpus = "aaaa aaa aaaaaaa ab ab ab ba aba abab ababab\nzzzz zz z\n";
  ExpectSameAsNaive(corpus, Quiet(257 + 40, 0, 1), 0);
}

TEST(BpeTrainer, CountsIndependentOfThreadsAndMatchPreTokenizer) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  std::string corpus = RandomCorpus(&rng, 40000, 3000);
  corpus += "no newline at the end <|endoftext|>x";
  BpeTrainerOptions o = Quiet(1000, 0, 1);
  WordCountStats s1, s4;
  auto one = CountWordsInText(corpus, o, &s1);
  o.threads = 4;
  auto four = CountWordsInText(corpus, o, &s4);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ(*one, *four) << "seed " << seed;
  EXPECT_EQ(s1.lines, s4.lines);
  EXPECT_EQ(s1.special_tokens, 1);
  EXPECT_EQ(s1.bytes, static_cast<int64_t>(corpus.size()));

  // The same words through the pre-tokenizer of the written tokenizer.json.
  BpeTrainingResult empty;
  empty.vocab = {"<|endoftext|>"};
  empty.num_special = 1;
  const nlohmann::json j = nlohmann::json::parse(TrainedTokenizerJson(empty, o).dump());
  auto pre = PreTokenizer::FromJson(j["pre_tokenizer"], "trained");
  ASSERT_TRUE(pre.ok()) << pre.status().ToString();
  std::map<std::string, int64_t> want;
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  const std::string special = "<|endoftext|>";
  for (size_t start = 0; start < corpus.size();) {
    size_t end = corpus.find('\n', start);
    end = end == std::string::npos ? corpus.size() : end + 1;
    std::string line = corpus.substr(start, end - start);
    start = end;
    std::vector<std::string> sections;
    for (size_t p; (p = line.find(special)) != std::string::npos;
         line = line.substr(p + special.size()))
      sections.push_back(line.substr(0, p));
    sections.push_back(line);
    for (const std::string& section : sections) {
      if (section.empty()) continue;
      auto words = (*pre)->Split(section);
      ASSERT_TRUE(words.ok());
      for (const std::string& w : *words) ++want[w];
    }
  }
  std::map<std::string, int64_t> got;
  for (const auto& [w, c] : *one) got[alphabet.EncodeBytes(w)] += c;
  EXPECT_EQ(got, want) << "seed " << seed;
}

// Files read in blocks of any size (a line may be longer than a block), and
// several files, give the counts of the whole text in memory.
TEST(BpeTrainer, FileCountsIndependentOfBlockSize) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::string a = RandomCorpus(&rng, 300, 200) + std::string(5000, 'x') + " long line\n";
  const std::string b = RandomCorpus(&rng, 200, 200) + "last line without a newline";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("seek_bpe_trainer_test_" + std::to_string(seed));
  std::filesystem::create_directories(dir);
  const std::string pa = (dir / "a.txt").string(), pb = (dir / "b.txt").string();
  std::ofstream(pa, std::ios::binary) << a;
  std::ofstream(pb, std::ios::binary) << b;
  BpeTrainerOptions o = Quiet(1000, 0, 2);
  auto want = CountWordsInText(a + b, o);
  ASSERT_TRUE(want.ok());
  o.inputs = {pa, pb};
  for (int64_t block :
       {int64_t{1}, int64_t{7}, int64_t{1000} + static_cast<int64_t>(rng.NextU64() % 3000),
        int64_t{32} << 20}) {
    o.read_block_bytes = block;
    WordCountStats stats;
    auto got = CountWords(o, &stats);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, *want) << "block " << block << " seed " << seed;
    EXPECT_EQ(stats.bytes, static_cast<int64_t>(a.size() + b.size()));
  }
  std::filesystem::remove_all(dir);
}

TEST(BpeTrainer, MinFrequencyStopsTheLoop) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::string corpus = RandomCorpus(&rng, 500, 100);
  auto counts = CountWordsInText(corpus, Quiet(5000));
  ASSERT_TRUE(counts.ok());
  for (int64_t f : {2, 5, 50}) {
    auto r = TrainBpeFromCounts(*counts, Quiet(5000, f));
    ASSERT_TRUE(r.ok());
    const NaiveResult naive = NaiveTrain(*counts, Quiet(5000, f));
    EXPECT_EQ(MergeStrings(*r), naive.merges) << "min_frequency " << f << " seed " << seed;
    EXPECT_LT(static_cast<int64_t>(r->vocab.size()), 5000);
    for (int64_t c : naive.merge_counts) EXPECT_GE(c, f);
  }
  auto none = TrainBpeFromCounts(*counts, Quiet(5000, int64_t{1} << 40));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->merges.empty());
  EXPECT_EQ(none->vocab.size(), 257u);
}

TEST(BpeTrainer, SpecialTokensGetTheFirstIdsAndAreNotLearnt) {
  BpeTrainerOptions o = Quiet(400, 0);
  o.special_tokens = {"<|endoftext|>", "<|pad|>", "<s>"};
  const std::string corpus =
      "hello world<|endoftext|>hello<|pad|> world <s>hello\n<|endoftext|><|endoftext|>\n";
  auto counts = CountWordsInText(corpus, o);
  ASSERT_TRUE(counts.ok());
  for (const auto& [w, c] : *counts) EXPECT_EQ(w.find('|'), std::string::npos) << w;
  auto r = TrainBpeFromCounts(*counts, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->num_special, 3);
  EXPECT_EQ(r->vocab[0], "<|endoftext|>");
  EXPECT_EQ(r->vocab[1], "<|pad|>");
  EXPECT_EQ(r->vocab[2], "<s>");
  EXPECT_EQ(r->vocab[3], "!");  // then the byte characters by code point, as GPT-2's vocabulary
  auto tok = Tokenizer::FromJsonString(TrainedTokenizerJson(*r, o).dump(), "trained");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const std::vector<int32_t> ids = (*tok)->Encode("hello<|pad|>world<s>", false);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 1), 1);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_EQ((*tok)->Decode(ids), "hello<|pad|>world<s>");
  EXPECT_EQ((*tok)->Decode(ids, /*skip_special_tokens=*/true), "helloworld");
  const nlohmann::ordered_json config = TrainedTokenizerConfigJson(*r, o);
  EXPECT_EQ(config["added_tokens_decoder"]["1"]["content"], "<|pad|>");
  EXPECT_EQ(config["eos_token"], "<|endoftext|>");
  EXPECT_EQ(config["bos_token"], "<s>");
  EXPECT_EQ(config["pad_token"], "<|pad|>");
  EXPECT_EQ(config["tokenizer_class"], "PreTrainedTokenizerFast");
}

TEST(BpeTrainer, TrainedTokenizerRoundTripsAndCompresses) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::string corpus = RandomCorpus(&rng, 3000, 400);
  BpeTrainerOptions o = Quiet(1500, 2, 2);
  auto counts = CountWordsInText(corpus, o);
  ASSERT_TRUE(counts.ok());
  auto r = TrainBpeFromCounts(*counts, o);
  ASSERT_TRUE(r.ok());
  auto tok = Tokenizer::FromJsonString(TrainedTokenizerJson(*r, o).dump(), "trained");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  int64_t tokens = 0;
  size_t start = 0;
  while (start < corpus.size()) {
    size_t end = corpus.find('\n', start);
    end = end == std::string::npos ? corpus.size() : end + 1;
    const std::string line = corpus.substr(start, end - start);
    start = end;
    const std::vector<int32_t> ids = (*tok)->Encode(line, false);
    tokens += static_cast<int64_t>(ids.size());
    ASSERT_EQ((*tok)->Decode(ids), line) << "seed " << seed;
  }
  const double bytes_per_token = static_cast<double>(corpus.size()) / tokens;
  EXPECT_GT(bytes_per_token, 2.0) << "seed " << seed;
  // Encoding applies the merges in rank order, which reproduces the
  // trainer's segmentation of its words (no merge string repeats here).
  EXPECT_EQ(tokens, r->word_tokens) << "seed " << seed;
  // Random text, never seen in training, also round-trips.
  for (int i = 0; i < 50; ++i) {
    const std::string text = RandomCorpus(&rng, 2, 50) + "\t\r\n  \xF0\x9F\x98\x80 42";
    EXPECT_EQ((*tok)->Decode((*tok)->Encode(text, false)), text) << "seed " << seed;
  }
}

TEST(BpeTrainer, RejectsBadOptions) {
  BpeTrainerOptions o = Quiet(256);
  EXPECT_NE(ValidateBpeTrainerOptions(o).message().find("use at least 257"), std::string::npos)
      << ValidateBpeTrainerOptions(o).ToString();
  o.vocab_size = (int64_t{1} << 31) + 1;
  EXPECT_EQ(ValidateBpeTrainerOptions(o).code(), StatusCode::kInvalidArgument);
  o = Quiet(1000);
  o.split_regex = "([a-z";
  EXPECT_FALSE(ValidateBpeTrainerOptions(o).ok());
  o = Quiet(1000);
  o.special_tokens = {"<a>", "<a>"};
  EXPECT_NE(ValidateBpeTrainerOptions(o).message().find("twice"), std::string::npos);
  o.special_tokens = {""};
  EXPECT_FALSE(ValidateBpeTrainerOptions(o).ok());
  o.special_tokens = {"Ġ"};
  EXPECT_FALSE(ValidateBpeTrainerOptions(o).ok());
  o = Quiet(1000);
  o.inputs = {"/nonexistent/corpus.txt"};
  auto r = TrainBpe(o);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/corpus.txt"), std::string::npos);
  auto empty = TrainBpeFromCounts(WordCounts(), Quiet(1000));
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seek
