// tests/data/filter_c4_test.cc — C4's line rules remove the lines datatrove
// removes, its document rules drop with datatrove's reasons (the cases of
// datatrove's TestC4QualityFilter and more), good documents pass.
#include "data/filter_c4.h"

#include <gtest/gtest.h>

#include "core/random.h"
#include "data/filter_test_util.h"
#include "data/word_splitter.h"
#include "io/io_test_util.h"

namespace seek {
namespace {

using testing::Doc;

std::string Reason(const C4Filter& f, Document* d) {
  const Verdict v = f.Apply(d);
  return v.keep ? "kept" : v.reason;
}
std::string Reason(const C4Filter& f, std::string text, std::string language = "") {
  Document d = Doc(std::move(text), std::move(language));
  return Reason(f, &d);
}

const char kGood[] =
    "This is a well-written paragraph with several sentences.\n"
    "The content continues with more good information here.\n"
    "Another important point is being made in this line.\n"
    "We can see that this document has quality content.\n"
    "Finally, the conclusion wraps everything up nicely.\n"
    "An additional sentence to ensure we pass the threshold.";

TEST(C4Test, DefaultsAreDatatroves) {
  const C4Config c;
  EXPECT_TRUE(c.remove_citations);
  EXPECT_TRUE(c.filter_no_terminal_punct);
  EXPECT_EQ(c.min_num_sentences, 5);
  EXPECT_EQ(c.min_words_per_line, 3);
  EXPECT_EQ(c.max_word_length, 1000);
  EXPECT_TRUE(c.filter_lorem_ipsum && c.filter_javascript && c.filter_curly_bracket && c.filter_policy);
}

TEST(C4Test, DatatroveCases) {
  const C4Filter f;
  Document good = Doc(kGood);
  EXPECT_EQ(Reason(f, &good), "kept");
  EXPECT_EQ(good.text, kGood);
  EXPECT_EQ(Reason(f,
                   "This is a sentence with lorem ipsum dolor sit amet.\n"
                   "Another sentence with proper punctuation.\n"
                   "More content to fill out the document.\n"
                   "Even more content is needed to pass the check.\n"
                   "The final sentence of the document."),
            "lorem_ipsum");
  EXPECT_EQ(Reason(f,
                   "This is some code with a { bracket.\n"
                   "Another sentence follows this one.\n"
                   "More content to fill out the document.\n"
                   "Even more content is needed to pass.\n"
                   "The final sentence of the document."),
            "curly_bracket");
  EXPECT_EQ(Reason(f, "Just one sentence."), "too_few_sentences");

  C4Config loose;
  loose.min_num_sentences = -1;
  loose.min_words_per_line = -1;
  Document policy = Doc("This site uses cookies for tracking.\nAnother valid line here today.");
  EXPECT_EQ(Reason(C4Filter(loose), &policy), "kept");
  EXPECT_EQ(policy.text, "Another valid line here today.");
}

TEST(C4Test, LineRules) {
  C4Config c;
  c.min_num_sentences = 1;
  const C4Filter f(c);
  Document d = Doc(
      "  A line that ends well.  \n"
      "A line without an end\n"
      "A line that trails off...\n"
      "Too short.\n"
      "Please enable JavaScript to view this page.\n"
      "Read our Privacy Policy before you go.\n"
      "We use cookies on this site.\n"
      "Wikipedia says so[1] and more[citation needed].\n"
      "Something was edited here. [edit]\n"
      "A " + std::string(1001, 'w') + " word.\n"
      "\"A quoted line that ends with a quote.\"\n"
      "Was it a question?");
  EXPECT_EQ(Reason(f, &d), "kept");
  EXPECT_EQ(d.text,
            "A line that ends well.\n"
            "Wikipedia says so and more.\n"
            "\"A quoted line that ends with a quote.\"\n"
            "Was it a question?");
  // The line is stripped before its citations go, as in datatrove, so a
  // trailing "[edit]" leaves a space at the end and the line no end mark.
  EXPECT_EQ(Reason(f, "Something was edited here. [edit]"), "too_few_sentences");
}

TEST(C4Test, SentencesAreCountedInKeptLines) {
  const C4Filter f;
  EXPECT_EQ(Reason(f, "One is here. Two is here. Three is here.\nFour is here. Five is here."), "kept");
  EXPECT_EQ(Reason(f, "One is here. Two is here. Three is here.\nFour is here. Five is here"), "too_few_sentences");
}

TEST(C4Test, LoremIpsumOnlyCountsOnLinesThatSurvive) {
  C4Config c;
  c.min_num_sentences = -1;
  EXPECT_EQ(Reason(C4Filter(c), "Lorem ipsum dolor sit amet\nThis line is fine."), "kept");
}

TEST(C4Test, ChineseLinesAreNotDroppedForLackOfSpaces) {
  const C4Filter f;
  Document d = Doc(testing::kChinese, "zh");
  EXPECT_EQ(Reason(f, &d), "kept");
  EXPECT_EQ(d.text, testing::kChinese);
  Document unknown = Doc(testing::kChinese, "");
  EXPECT_EQ(Reason(f, &unknown), "kept");
}

// The filter counts most lines' sentences without splitting them into
// words; the count must be the sentencizer's on the words.
TEST(C4Test, SentenceCountShortcutMatchesTheSentencizer) {
  static const char* kPieces[] = {"word", "Word", ".", "?", "!", "...", "U.S.", "\"", ")", "$5", "end.", "\u3002",
                                  "it's", "-", ";", "e.g."};
  Rng rng(testing::FreshSeed());
  for (int trial = 0; trial < 500; ++trial) {
    std::string line = "first";
    const size_t n = rng.Below(12);
    for (size_t i = 0; i < n; ++i) line += std::string(rng.Below(3) == 0 ? "" : " ") + kPieces[rng.Below(16)];
    line += rng.Below(2) == 0 ? " last." : ".";
    WordSplit split;
    SplitWords(line, &split);
    const int64_t expected = static_cast<int64_t>(std::max<size_t>(CountSentences(split.words), 1));
    for (int64_t k : {expected, expected + 1}) {
      C4Config c;
      c.min_num_sentences = k;
      c.min_words_per_line = -1;
      c.filter_curly_bracket = c.filter_javascript = c.filter_policy = c.filter_lorem_ipsum = false;
      c.filter_no_terminal_punct = false;
      Document d = testing::Doc(line);
      const bool kept = C4Filter(c).Apply(&d).keep;
      EXPECT_EQ(kept, expected >= k) << line << " has " << expected << " sentences";
    }
  }
}

TEST(C4Test, SentenceModeIsUnimplemented) {
  const auto f = C4Filter::FromJson({{"split_paragraph", false}});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(f.status().message().find("split_paragraph"), std::string::npos);
}

}  // namespace
}  // namespace seek
