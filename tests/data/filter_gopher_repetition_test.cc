// tests/data/filter_gopher_repetition_test.cc — each Gopher repetition rule
// drops a hand-written document with datatrove's reason (the cases of
// datatrove's test_gopher_repetition), good documents pass.
#include "data/filter_gopher_repetition.h"

#include <gtest/gtest.h>

#include "data/filter_test_util.h"

namespace seek {
namespace {

using testing::Doc;
using testing::Repeat;

std::string Reason(const GopherRepetitionFilter& f, std::string text, std::string language = "") {
  Document d = Doc(std::move(text), std::move(language));
  const Verdict v = f.Apply(&d);
  return v.keep ? "kept" : v.reason;
}

TEST(GopherRepetitionTest, DefaultsAreDatatroves) {
  const GopherRepetitionConfig c;
  EXPECT_EQ(c.dup_line_frac, 0.3);
  EXPECT_EQ(c.dup_para_frac, 0.3);
  EXPECT_EQ(c.dup_line_char_frac, 0.2);
  EXPECT_EQ(c.dup_para_char_frac, 0.2);
  EXPECT_EQ(c.top_n_grams, (std::vector<std::pair<int, double>>{{2, 0.2}, {3, 0.18}, {4, 0.16}}));
  EXPECT_EQ(c.dup_n_grams, (std::vector<std::pair<int, double>>{
                               {5, 0.15}, {6, 0.14}, {7, 0.13}, {8, 0.12}, {9, 0.11}, {10, 0.10}}));
}

TEST(GopherRepetitionTest, DatatroveCases) {
  const GopherRepetitionFilter f;
  EXPECT_EQ(Reason(f, Repeat("I am your father.\n", 4)), "dup_line_frac");
  EXPECT_EQ(Reason(f, Repeat("I am your father.\n\n", 4)), "dup_para_frac");
  EXPECT_EQ(Reason(f, "I am groot.\n\nYou are a wizard.\n\nI am your father.\n\n" +
                          Repeat(std::string(30, 'x') + ".\n\n", 2)),
            "dup_para_char_frac");
  EXPECT_EQ(Reason(f, "I am groot.\nYou are a wizard.\nI am your father.\n" + Repeat(std::string(40, 'x') + ".\n", 2)),
            "dup_line_char_frac");
  EXPECT_EQ(Reason(f, "I am Frank, I am Frank, I am Frank"), "top_2_gram");
  // "I am" and "am Frank" both occur 3 times; the first seen, "I am", is
  // the one measured (4 * 3 / 61 < 0.2), so only the 3-gram rule fires.
  EXPECT_EQ(Reason(f, "I am Frank, you are Jhon. I am Frank. I am Frank you are Jhon"), "top_3_gram");
  EXPECT_EQ(Reason(f, Repeat("I am a solo traveller ", 4) + testing::kTolkien), "duplicated_5_n_grams");
  EXPECT_EQ(Reason(f, testing::kTolkien), "kept");
}

TEST(GopherRepetitionTest, DuplicateNGramsCompareWordsConcatenated) {
  // datatrove joins the words of an n-gram without spaces before comparing,
  // so "ab c d e f" repeats "a bc d e f".
  GopherRepetitionConfig c;
  c.top_n_grams.clear();
  c.dup_n_grams = {{5, 0.15}};
  const GopherRepetitionFilter f(c);
  EXPECT_EQ(Reason(f, "ab c d e f a bc d e f"), "duplicated_5_n_grams");
  EXPECT_EQ(Reason(f, "ab c d e f a bc d e g"), "kept");
}

TEST(GopherRepetitionTest, ZeroTurnsLineAndParagraphRulesOff) {
  GopherRepetitionConfig c;
  c.dup_line_frac = 0;
  c.dup_line_char_frac = 0;
  c.top_n_grams.clear();
  c.dup_n_grams.clear();
  EXPECT_EQ(Reason(GopherRepetitionFilter(c), Repeat("I am your father.\n", 4)), "kept");
}

TEST(GopherRepetitionTest, ChineseRepetitionIsFound) {
  const GopherRepetitionFilter f;
  EXPECT_EQ(Reason(f, testing::kChinese, "zh"), "kept");
  EXPECT_EQ(Reason(f, testing::kChinese + testing::kChinese, "zh"), "duplicated_5_n_grams");
}

TEST(GopherRepetitionTest, EmptyDocumentIsKept) { EXPECT_EQ(Reason(GopherRepetitionFilter(), ""), "kept"); }

}  // namespace
}  // namespace seek
