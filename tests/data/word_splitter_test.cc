// tests/data/word_splitter_test.cc — the word splitter splits as spaCy's
// English tokenizer does on the cases the filters depend on, segments
// Chinese by dictionary, and counts sentences as spaCy's sentencizer.
#include "data/word_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/filter_test_util.h"
#include "data/py_text.h"

namespace seek {
namespace {

std::vector<std::string> Words(std::string_view text) {
  WordSplit split;
  SplitWords(text, &split);
  return {split.words.begin(), split.words.end()};
}

using V = std::vector<std::string>;

TEST(WordSplitterTest, PunctuationIsItsOwnWord) {
  EXPECT_EQ(Words("Hello, world."), (V{"Hello", ",", "world", "."}));
  EXPECT_EQ(Words("  (quoted) \"text\"!\n"), (V{"(", "quoted", ")", "\"", "text", "\"", "!"}));
  EXPECT_EQ(Words("time,' said"), (V{"time", ",", "'", "said"}));
  EXPECT_EQ(Words("# comment ... comment"), (V{"#", "comment", "...", "comment"}));
  EXPECT_EQ(Words("wait...what"), (V{"wait", "...", "what"}));
}

TEST(WordSplitterTest, InfixesContractionsAndAbbreviations) {
  EXPECT_EQ(Words("well-known"), (V{"well", "-", "known"}));
  EXPECT_EQ(Words("don't it's"), (V{"do", "n't", "it", "'s"}));
  EXPECT_EQ(Words("Mr. Smith and the U.S."), (V{"Mr.", "Smith", "and", "the", "U.S."}));
  EXPECT_EQ(Words("LORD. God."), (V{"LORD", ".", "God", "."}));
  EXPECT_EQ(Words("50% +5 1-2"), (V{"50", "%", "+5", "1", "-", "2"}));
  EXPECT_EQ(Words("see https://example.com/a-b."), (V{"see", "https://example.com/a-b", "."}));
  EXPECT_EQ(Words("Ge1:1 In"), (V{"Ge1:1", "In"}));
}

TEST(WordSplitterTest, ChineseIsSegmentedByDictionary) {
  WordSplit split;
  SplitWords(testing::kChinese, &split);
  size_t whitespace_words = 0;
  ForEachPySplitWord(testing::kChinese, [&](std::string_view) { ++whitespace_words; });
  EXPECT_EQ(whitespace_words, 1u);
  EXPECT_GT(split.words.size(), 60u);
  EXPECT_GT(split.dictionary_words * 2, split.words.size());
  EXPECT_TRUE(TreatAsNoSpace("", split));
  EXPECT_TRUE(TreatAsNoSpace("zh", split));
  EXPECT_FALSE(TreatAsNoSpace("en", split));
  // Punctuation comes out as words of its own, as jieba's.
  EXPECT_NE(std::find(split.words.begin(), split.words.end(), "。"), split.words.end());
  // Japanese: kanji and kana runs are split into words too.
  EXPECT_EQ(Words("私は学生です。"), (V{"私", "は", "学生", "です", "。"}));
  // Latin text inside Chinese follows the rules.
  EXPECT_EQ(Words("我爱Python。"), (V{"我", "爱", "Python", "。"}));
}

TEST(WordSplitterTest, SentencesAsSpacySentencizer) {
  WordSplit split;
  const auto count = [&](std::string_view text) {
    split.clear();
    SplitWords(text, &split);
    return CountSentences(split.words);
  };
  EXPECT_EQ(count(""), 0u);
  EXPECT_EQ(count("Just one sentence."), 1u);
  EXPECT_EQ(count("One. Two! Three? Four"), 4u);
  EXPECT_EQ(count("\"Quoted.\" Then more."), 2u);
  EXPECT_EQ(count("Wait... what"), 1u);  // an ellipsis is not a sentence end
  EXPECT_EQ(count("今天天气很好。我们去公园。"), 2u);
}

}  // namespace
}  // namespace seek
