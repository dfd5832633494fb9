// tests/data/filter_fineweb_test.cc — each FineWeb rule drops a hand-written
// document with datatrove's reason (the cases of datatrove's
// TestFineWebQualityFilter and more), good documents pass.
#include "data/filter_fineweb.h"

#include <gtest/gtest.h>

#include "data/filter_test_util.h"

namespace seek {
namespace {

using testing::Doc;

std::string Reason(const FineWebFilter& f, std::string text, std::string language = "") {
  Document d = Doc(std::move(text), std::move(language));
  const Verdict v = f.Apply(&d);
  return v.keep ? "kept" : v.reason;
}

const char kGood[] =
    "This is a well-written paragraph that ends with proper punctuation.\n"
    "The content here is substantial and has meaningful information.\n"
    "Quality filtering ensures that only the best documents pass through.\n"
    "Each line here is long enough and ends with a terminal punctuation mark.\n"
    "This document should pass all the quality checks applied by the filter.";

TEST(FineWebTest, DefaultsAreDatatroves) {
  const FineWebConfig c;
  EXPECT_EQ(c.line_punct_thr, 0.12);
  EXPECT_FALSE(c.line_punct_exclude_zero);
  EXPECT_TRUE(c.stop_chars.empty());  // TERMINAL_PUNCTUATION
  EXPECT_EQ(c.short_line_thr, 0.67);
  EXPECT_EQ(c.short_line_length, 30);
  EXPECT_EQ(c.char_duplicates_ratio, 0.01);
  EXPECT_EQ(c.new_line_ratio, 0.3);
}

TEST(FineWebTest, DatatroveCases) {
  EXPECT_EQ(Reason(FineWebFilter(), ""), "empty");
  EXPECT_EQ(Reason(FineWebFilter(), " \n\t\n"), "empty");
  FineWebConfig punct;
  punct.line_punct_thr = 0.5;
  EXPECT_EQ(Reason(FineWebFilter(punct), "No punctuation here\nAnother line without any\nStill nothing"),
            "line_punct_ratio");
  FineWebConfig shorts;
  shorts.short_line_thr = 0.5;
  shorts.short_line_length = 30;
  shorts.line_punct_thr = 0.0;
  EXPECT_EQ(Reason(FineWebFilter(shorts), "hi.\nbye.\nok.\nno.\nyes."), "short_line_ratio");
  EXPECT_EQ(Reason(FineWebFilter(), kGood), "kept");
}

TEST(FineWebTest, MoreRules) {
  const FineWebFilter f;
  // A line ending in a space does not end in punctuation (lines are not stripped).
  EXPECT_EQ(Reason(f, "A long enough line that ends with a dot. \nAnother long enough line with a dot. "),
            "line_punct_ratio");
  FineWebConfig zero;
  zero.line_punct_exclude_zero = true;
  zero.short_line_thr = 1;
  EXPECT_EQ(Reason(FineWebFilter(zero), "no punctuation at all in this line\nnor in this one"), "kept");
  EXPECT_EQ(Reason(f, std::string(kGood) + "\nThe content here is substantial and has meaningful information."),
            "char_dup_ratio");
  std::string list;
  for (int i = 0; i < 20; ++i)
    list += "Supercalifragilistic" + std::to_string(i) + " antidisestablishment.\n";
  EXPECT_EQ(Reason(f, list), "list_ratio");
  FineWebConfig stop;
  stop.stop_chars = {";"};
  EXPECT_EQ(Reason(FineWebFilter(stop), kGood), "line_punct_ratio");
}

TEST(FineWebTest, ChineseDocumentPasses) { EXPECT_EQ(Reason(FineWebFilter(), testing::kChinese, "zh"), "kept"); }

}  // namespace
}  // namespace seek
