// Incremental detokenization: stop strings held back, UTF-8 never cut.
#include "infer/text_stream.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tokenizer/bytes.h"
#include "tokenizer/tokenizer.h"

namespace seek {
namespace {

std::string Bytes(const std::vector<int32_t>& ids) { return ByteTokenizer::Decode(ids); }

struct StreamRun {
  std::vector<std::string> pieces;
  std::string all;
  bool stopped = false;
};

StreamRun Stream(const std::string& text, std::vector<std::string> stop) {
  TextStream ts(Bytes, std::move(stop));
  StreamRun r;
  for (int32_t id : ByteTokenizer::Encode(text)) {
    bool st = false;
    std::string p = ts.Push(id, &st);
    r.pieces.push_back(p);
    r.all += p;
    if (st) {
      r.stopped = true;
      break;
    }
  }
  if (!r.stopped) r.all += ts.Flush();
  return r;
}

TEST(TextStream, NoStopStreamsEverything) {
  StreamRun r = Stream("hello world", {});
  EXPECT_EQ(r.all, "hello world");
  EXPECT_EQ(r.pieces[0], "h");
}

TEST(TextStream, StopStringIsCutAndNeverEmitted) {
  StreamRun r = Stream("abc STOP def", {"STOP"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.all, "abc ");
  for (const std::string& p : r.pieces) EXPECT_EQ(p.find('S'), std::string::npos);
}

TEST(TextStream, PartialMatchIsHeldBackThenReleased) {
  StreamRun r = Stream("abSTx", {"STOP"});
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.all, "abSTx");
  // "S" and "ST" were held back until "x" showed they were not a stop string.
  EXPECT_EQ(r.pieces[2], "");
  EXPECT_EQ(r.pieces[3], "");
  EXPECT_EQ(r.pieces[4], "STx");
}

TEST(TextStream, EarliestOfSeveralStops) {
  StreamRun r = Stream("one two three", {"three", "two"});
  EXPECT_EQ(r.all, "one ");
}

TEST(TextStream, NeverCutsAUtf8Character) {
  const std::string text = "a\xE2\x82\xAC" "b\xF0\x9F\x98\x80";  // a€b😀
  StreamRun r = Stream(text, {});
  EXPECT_EQ(r.all, text);
  for (const std::string& p : r.pieces) EXPECT_EQ(IncompleteUtf8Tail(p), 0u) << p.size();
  EXPECT_EQ(r.pieces[1], "");  // first byte of €
  EXPECT_EQ(r.pieces[3], "\xE2\x82\xAC");
}

TEST(TextStream, StopInsideMultibyteText) {
  StreamRun r = Stream("\xC3\xA9t\xC3\xA9 fin", {"\xC3\xA9 f"});  // "été fin", stop "é f"
  EXPECT_EQ(r.all, "\xC3\xA9t");
}

TEST(TextStream, IncompleteTail) {
  EXPECT_EQ(IncompleteUtf8Tail("ab"), 0u);
  EXPECT_EQ(IncompleteUtf8Tail("a\xE2\x82"), 2u);
  EXPECT_EQ(IncompleteUtf8Tail("a\xE2\x82\xAC"), 0u);
  EXPECT_EQ(IncompleteUtf8Tail("a\xF0"), 1u);
  EXPECT_EQ(IncompleteUtf8Tail("a\xEF\xBF\xBD"), 3u);
}

// With a real byte-level BPE tokenizer (characters cut across tokens), the
// windowed pieces concatenate to the decode of the whole output, and no
// piece ends inside a character.
TEST(TextStream, WindowedDecodingEqualsFullDecode) {
  const std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path().parent_path();
  auto tok = Tokenizer::FromFile((dir / "fuzz/corpus/tokenizer/tiny_tokenizer.json").string());
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  std::ifstream corpus(dir / "tokenizer/corpus.txt");
  std::string line;
  int lines = 0;
  auto decode = [&](const std::vector<int32_t>& ids) { return (*tok)->Decode(ids, true); };
  while (std::getline(corpus, line) && lines < 300) {
    std::vector<int32_t> ids = (*tok)->Encode(line, /*add_special_tokens=*/false);
    if (ids.empty()) continue;
    ++lines;
    TextStream ts(decode, {});
    std::string all;
    for (int32_t id : ids) {
      bool st;
      std::string p = ts.Push(id, &st);
      EXPECT_EQ(IncompleteUtf8Tail(p), 0u);
      all += p;
    }
    all += ts.Flush();
    ASSERT_EQ(all, decode(ids)) << line;
  }
  EXPECT_GT(lines, 50);
}

}  // namespace
}  // namespace seek
