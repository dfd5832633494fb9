// tests/data/filter_gopher_quality_test.cc — each Gopher quality rule drops
// a hand-written document with datatrove's reason (the cases of datatrove's
// test_gopher_quality and more), good documents pass, and a Chinese
// document is not dropped by rules that assume spaces.
#include "data/filter_gopher_quality.h"

#include <gtest/gtest.h>

#include "data/filter_test_util.h"

namespace seek {
namespace {

using testing::Doc;
using testing::Repeat;

std::string Reason(const GopherQualityFilter& f, std::string text, std::string language = "") {
  Document d = Doc(std::move(text), std::move(language));
  const Verdict v = f.Apply(&d);
  return v.keep ? "kept" : v.reason;
}

GopherQualityFilter Small() {  // datatrove's test: min_doc_words=10, max_doc_words=1000
  GopherQualityConfig c;
  c.min_doc_words = 10;
  c.max_doc_words = 1000;
  return GopherQualityFilter(c);
}

TEST(GopherQualityTest, DefaultsAreDatatroves) {
  const GopherQualityConfig c;
  EXPECT_EQ(c.min_doc_words, 50);
  EXPECT_EQ(c.max_doc_words, 100000);
  EXPECT_EQ(c.min_avg_word_length, 3);
  EXPECT_EQ(c.max_avg_word_length, 10);
  EXPECT_EQ(c.max_symbol_word_ratio, 0.1);
  EXPECT_EQ(c.max_bullet_lines_ratio, 0.9);
  EXPECT_EQ(c.max_ellipsis_lines_ratio, 0.3);
  EXPECT_EQ(c.max_non_alpha_words_ratio, 0.8);
  EXPECT_EQ(c.min_stop_words, 2);
  EXPECT_EQ(c.stop_words, (std::vector<std::string>{"the", "be", "to", "of", "and", "that", "have", "with"}));
}

TEST(GopherQualityTest, DatatroveCases) {
  const GopherQualityFilter f = Small();
  EXPECT_EQ(Reason(f, "I am too small..."), "gopher_short_doc");
  EXPECT_EQ(Reason(f, Repeat("I am ", 20)), "gopher_below_avg_threshold");
  EXPECT_EQ(Reason(f, Repeat("interconnection ", 20)), "gopher_above_avg_threshold");
  EXPECT_EQ(Reason(f, Repeat("# comment ", 20)), "gopher_too_many_hashes");
  EXPECT_EQ(Reason(f, Repeat("... comment ", 20)), "gopher_too_many_ellipsis");
  EXPECT_EQ(Reason(f, Repeat("the ./!*?<><> apple <?////> orange  ++ interconnection !<>??? have", 20)),
            "gopher_below_alpha_threshold");
  EXPECT_EQ(Reason(f, testing::kTolkien), "kept");
}

TEST(GopherQualityTest, MoreRules) {
  const GopherQualityFilter f = Small();
  GopherQualityConfig big;
  big.max_doc_words = 30;
  EXPECT_EQ(Reason(GopherQualityFilter(big), Repeat("the cat sat with a hat. ", 10)), "gopher_long_doc");
  // Punctuation-only words do not count towards the length.
  EXPECT_EQ(Reason(f, "the cat , , , , , , , , , , , , sat with a hat"), "gopher_short_doc");
  EXPECT_EQ(Reason(f, Repeat("- the cat sat with the hat\n", 10)), "gopher_too_many_bullets");
  EXPECT_EQ(Reason(f, Repeat("\xE2\x80\xA2 the elephant walked with the giraffe\n", 10)), "gopher_too_many_bullets");
  EXPECT_EQ(Reason(f, Repeat("the cat sat with the hat and more and more and more\xE2\x80\xA6\n", 10)), "gopher_too_many_end_ellipsis");
  EXPECT_EQ(Reason(f, Repeat("a dog slept on his warm rug in peace. ", 5)), "gopher_enough_stop_words");
  // Stop words are matched as datatrove matches them: case-sensitively.
  EXPECT_EQ(Reason(f, Repeat("The black cat sat down. With his big hat on. ", 5)), "gopher_enough_stop_words");
  EXPECT_EQ(Reason(f, Repeat("The black cat sat down with the big hat on. ", 5)), "kept");
  // A zero threshold turns its rule off, as None does in datatrove.
  GopherQualityConfig off;
  off.min_doc_words = 10;
  off.min_stop_words = 0;
  EXPECT_EQ(Reason(GopherQualityFilter(off), Repeat("a dog slept on his warm rug in peace. ", 5)), "kept");
}

TEST(GopherQualityTest, StopWordsOnlyForEnglish) {
  const GopherQualityFilter f = Small();
  const std::string italian = Repeat("Molti tra i vivi meritano la morte e parecchi morti la vita. ", 3);
  EXPECT_EQ(Reason(f, italian, "it"), "kept");
  EXPECT_EQ(Reason(f, italian, "en"), "gopher_enough_stop_words");
  EXPECT_EQ(Reason(f, italian, ""), "gopher_enough_stop_words");  // unknown language: English by default
  GopherQualityConfig c;
  c.min_doc_words = 10;
  c.stop_words_when_language_unknown = false;
  EXPECT_EQ(Reason(GopherQualityFilter(c), italian, ""), "kept");
}

TEST(GopherQualityTest, ChineseIsNotDroppedByRulesThatAssumeSpaces) {
  const GopherQualityFilter f;  // the defaults: at least 50 words
  EXPECT_EQ(Reason(f, testing::kChinese, "zh"), "kept");
  EXPECT_EQ(Reason(f, testing::kChinese, ""), "kept");
}

TEST(GopherQualityTest, EmptyDocument) {
  EXPECT_EQ(Reason(GopherQualityFilter(), ""), "gopher_short_doc");
  GopherQualityConfig c;
  c.min_doc_words = 0;
  EXPECT_EQ(Reason(GopherQualityFilter(c), ""), "kept");
}

}  // namespace
}  // namespace seek
