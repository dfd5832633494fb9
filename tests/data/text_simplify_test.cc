// tests/data/text_simplify_test.cc — datatrove's simplify_text on hand-made
// cases (digits, punctuation, accents, whitespace, the order of the steps),
// and the one-pass SimplifyText held to its step-by-step reference twin on
// fresh random mixed-script text under every config.
#include "data/text_simplify.h"

#include <gtest/gtest.h>

#include <array>

#include "core/random.h"
#include "io/io_test_util.h"

namespace seek {
namespace {

using seek::testing::FreshSeed;

TEST(SimplifyText, DatatroveDefaults) {
  EXPECT_EQ(SimplifyText("Hello, World! It's 3.14 and 1,000,000 apples."),
            "hello world it s 0 and 0 0 apples");
  EXPECT_EQ(SimplifyText("Café naïve RÉSUMÉ"), "cafe naive resume");
  EXPECT_EQ(SimplifyText("a—b“c”d…e«f»g。h、i"), "a b c d e f g h i");
  EXPECT_EQ(SimplifyText("abc123def 4.5.6"), "abc0def 0 0");
  EXPECT_EQ(SimplifyText("\u0661\u0662\u066b\u0663 x"), "0 x");  // Arabic-Indic digits, ٫
  EXPECT_EQ(SimplifyText("  tab\tnew\nline\u00a0nbsp\u3000ideo\u2028end  "),
            "tab new line nbsp ideo end");
  EXPECT_EQ(SimplifyText("\x01"
                         "a\x7f"
                         "b\xc2\x85"
                         "c"),
            "a b c");                                  // C0, DEL, C1 controls
  EXPECT_EQ(SimplifyText("x\u0301 \u0301 y"), "x y");  // a lone mark is no word
  EXPECT_EQ(SimplifyText("ΩMEGA"), "ωmega");
  EXPECT_EQ(SimplifyText(""), "");
  EXPECT_EQ(SimplifyText(" ,.!? "), "");
}

TEST(SimplifyText, StepsRunInDatatroveOrder) {
  // U+037E GREEK QUESTION MARK is not in PUNCTUATION; NFD turns it into ';'
  // after punctuation was removed, so ';' stays.
  EXPECT_EQ(SimplifyText("a\u037eb"), "a;b");
  // Fullwidth ONE is in PUNCTUATION but numbers go first: it becomes "0".
  EXPECT_EQ(SimplifyText("x\uff11y"), "x0y");
  // The separator needs a digit after it; otherwise it is punctuation.
  EXPECT_EQ(SimplifyText("7. 8,x"), "0 0 x");
}

TEST(SimplifyText, ConfigSwitchesSteps) {
  TextSimplifyConfig c;
  c.lowercase = false;
  c.norm_numbers = false;
  EXPECT_EQ(SimplifyText("Ab 12.5", c), "Ab 12 5");
  c = {};
  c.remove_punctuation = false;
  c.norm_unicode_diacritics = false;
  EXPECT_EQ(SimplifyText("Café, ok!", c), "café, ok!");
}

TEST(SimplifyText, WordEndsMarkTheWords) {
  std::string out;
  std::vector<uint32_t> ends;
  SimplifyText(" One,two  THREE ", {}, &out, &ends);
  EXPECT_EQ(out, "one two three");
  EXPECT_EQ(ends, (std::vector<uint32_t>{3, 7, 13}));
}

TEST(SimplifyText, InvalidUtf8IsReplacementCharacter) {
  EXPECT_EQ(SimplifyText("a\xff"
                         "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(SimplifyText("a\xc3"), SimplifyTextRef("a\xc3"));
}

TEST(SimplifyText, MatchesReferenceOnRandomText) {
  const std::array<const char*, 40> pieces = {
      "a",    "Z", "q", "M",      "word",   "THE",    " ",      "  ",     "\t", "\n",
      "\r\n", ",", ".", "!",      "'",      "-",      "0",      "7",      "42", "3.14",
      "1,5",  "é", "É", "ñ",      "\u0301", "ß",      "Ω",      "Σ",      "中", "、",
      "。",   "“", "”", "\uff11", "\u066b", "\u0661", "\u037e", "\u00a0", "한", "😀"};
  const std::array<const char*, 4> rare = {"\xff", "\xc3", "\u0130", "\u3000"};
  Rng rng(FreshSeed());
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    const int n = static_cast<int>(rng.Below(40));
    for (int k = 0; k < n; ++k)
      text += rng.Below(20) == 0 ? rare[rng.Below(rare.size())] : pieces[rng.Below(pieces.size())];
    const int bits = static_cast<int>(rng.Below(16));
    const TextSimplifyConfig c{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0};
    std::string fast;
    std::vector<uint32_t> ends;
    SimplifyText(text, c, &fast, &ends);
    ASSERT_EQ(fast, SimplifyTextRef(text, c)) << "text: " << text << " config bits " << bits;
    // word_ends: every word ends before a space or at the end.
    for (size_t w = 0; w < ends.size(); ++w)
      ASSERT_TRUE(ends[w] == fast.size() || fast[ends[w]] == ' ') << text;
    ASSERT_EQ(ends.size(), fast.empty() ? 0 : 1 + std::count(fast.begin(), fast.end(), ' '));
  }
}

}  // namespace
}  // namespace seek
