// tests/data/normalize_test.cc — the normalize stage repairs and counts
// invalid UTF-8, removes control characters, folds whitespace as its header
// says, composes to NFC, and drops documents left empty.
#include "data/normalize.h"

#include <gtest/gtest.h>

#include "data/filter_test_util.h"

namespace seek {
namespace {

std::string Normalized(std::string text, NormalizeConfig c = {}) {
  Document d = testing::Doc(std::move(text));
  NormalizeStage(c).Apply(&d);
  return d.text;
}

TEST(NormalizeTest, RepairsAndCountsInvalidUtf8) {
  Document d = testing::Doc("a\xFF" "b\xE2\x82 c\xC3\xA9");
  EXPECT_TRUE(NormalizeStage().Apply(&d).keep);
  EXPECT_EQ(d.text, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD c\xC3\xA9");
  EXPECT_EQ(d.metadata["normalize.invalid_utf8"], 2);
  Document ok = testing::Doc("valid text");
  NormalizeStage().Apply(&ok);
  EXPECT_EQ(ok.metadata.count("normalize.invalid_utf8"), 0u);
}

TEST(NormalizeTest, RemovesControlsKeepsNewlinesAndTabsAsWhitespace) {
  Document d = testing::Doc("a\x01" "b\x7F" "c\xC2\x9D" "d\xEF\xBB\xBF" "e\te\nf");
  NormalizeStage().Apply(&d);
  EXPECT_EQ(d.text, "abcde e\nf");
  EXPECT_EQ(d.metadata["normalize.control_chars"], 4);
  NormalizeConfig keep_ws;
  keep_ws.fold_whitespace = false;
  EXPECT_EQ(Normalized("a\x01\tb\r\nc\rd\fe", keep_ws), "a\tb\nc\nd\ne");
}

TEST(NormalizeTest, FoldsWhitespace) {
  EXPECT_EQ(Normalized("  a \t b  \n\n\n\n  c  \n"), "a b\n\nc");
  EXPECT_EQ(Normalized("one\r\ntwo\rthree\n\nfour"), "one\ntwo\nthree\n\nfour");
  EXPECT_EQ(Normalized("wide\xE3\x80\x80space\xC2\xA0nbsp"), "wide space nbsp");
  EXPECT_EQ(Normalized("line one   \n   line two"), "line one\nline two");
  NormalizeConfig three;
  three.max_newlines = 3;
  EXPECT_EQ(Normalized("a\n\n\n\n\nb", three), "a\n\n\nb");
}

TEST(NormalizeTest, ComposesToNfc) {
  EXPECT_EQ(Normalized("cafe\xCC\x81"), "caf\xC3\xA9");  // e + combining acute -> é
  NormalizeConfig no_nfc;
  no_nfc.nfc = false;
  EXPECT_EQ(Normalized("cafe\xCC\x81", no_nfc), "cafe\xCC\x81");
}

TEST(NormalizeTest, DropsEmptyDocuments) {
  Document d = testing::Doc(" \n\t\x01 ");
  const Verdict v = NormalizeStage().Apply(&d);
  EXPECT_FALSE(v.keep);
  EXPECT_EQ(v.reason, "normalize_empty");
  NormalizeConfig keep;
  keep.drop_empty = false;
  Document e = testing::Doc("");
  EXPECT_TRUE(NormalizeStage(keep).Apply(&e).keep);
}

}  // namespace
}  // namespace seek
