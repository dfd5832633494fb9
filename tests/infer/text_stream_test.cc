// Incremental detokenization: stop strings held back, UTF-8 never cut.
#include "infer/text_stream.h"

#include <gtest/gtest.h>

#include "tokenizer/bytes.h"

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

}  // namespace
}  // namespace seek
