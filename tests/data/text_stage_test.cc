// tests/data/text_stage_test.cc — stages are built by name from JSON
// overrides; unknown stages, unknown keys and values of the wrong type are
// errors that name them.
#include "data/text_stage.h"

#include <gtest/gtest.h>

#include "data/filter_gopher_quality.h"
#include "data/filter_gopher_repetition.h"
#include "core/random.h"
#include "data/filter_test_util.h"
#include "io/io_test_util.h"

namespace seek {
namespace {

using nlohmann::json;

TEST(TextStageTest, EveryNamedStageBuildsWithDefaults) {
  for (const std::string& name : TextStageNames()) {
    auto stage = MakeTextStage(name, json());
    ASSERT_TRUE(stage.ok()) << name << ": " << stage.status().ToString();
    EXPECT_EQ((*stage)->name(), name);
    auto with_empty_object = MakeTextStage(name, json::object());
    EXPECT_TRUE(with_empty_object.ok()) << name;
  }
}

TEST(TextStageTest, OverridesChangeThresholds) {
  auto f = GopherQualityFilter::FromJson({{"min_doc_words", 10}, {"max_doc_words", nullptr},
                                          {"stop_words", {"cat", "hat"}}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->config().min_doc_words, 10);
  EXPECT_EQ(f->config().max_doc_words, 0);  // null: the rule is off
  EXPECT_EQ(f->config().stop_words, (std::vector<std::string>{"cat", "hat"}));
  auto r = GopherRepetitionFilter::FromJson({{"top_n_grams", {{2, 0.5}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->config().top_n_grams, (std::vector<std::pair<int, double>>{{2, 0.5}}));
}

void ExpectError(std::string_view stage, const json& overrides, const std::string& needle) {
  auto s = MakeTextStage(stage, overrides);
  ASSERT_FALSE(s.ok()) << stage << " " << overrides.dump();
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find(needle), std::string::npos) << s.status().message();
}

TEST(TextStageTest, BadOverridesNameTheKey) {
  ExpectError("gopher_quality", {{"min_doc_word", 10}}, "unknown key \"min_doc_word\"");
  ExpectError("gopher_quality", {{"min_doc_word", 10}}, "min_doc_words");  // the known keys are listed
  ExpectError("gopher_quality", {{"min_doc_words", "ten"}}, "key \"min_doc_words\" must be an integer");
  ExpectError("gopher_quality", {{"min_doc_words", 1.5}}, "key \"min_doc_words\"");
  ExpectError("gopher_repetition", {{"dup_n_grams", {{5}}}}, "key \"dup_n_grams\" must be an array of [n, fraction]");
  ExpectError("c4", {{"filter_javascript", 1}}, "key \"filter_javascript\" must be true or false");
  ExpectError("fineweb", {{"line_punct_thr", nullptr}}, "key \"line_punct_thr\" must be a number");
  ExpectError("fineweb", {{"stop_chars", {1, 2}}}, "key \"stop_chars\"");
  ExpectError("pii", {{"email_replacement", json::array()}}, "must not be empty");
  ExpectError("normalize", {{"max_newlines", 0}}, "key \"max_newlines\" = 0");
  ExpectError("normalize", json::array(), "must be a JSON object");
  ExpectError("gopher", json(), "unknown text stage \"gopher\"");
}

TEST(TextStageTest, StagesRunOneAfterAnother) {
  std::vector<std::unique_ptr<TextStage>> stages;
  for (const std::string& name : TextStageNames()) stages.push_back(std::move(MakeTextStage(name, json())).value());
  const std::string story =
      "The old lighthouse stood at the edge of the cliff, and its keeper climbed the stairs every evening.\n"
      "He wrote the weather in a thick book that his grandfather had bound with leather.\n"
      "Ships passing in the night saw the beam sweep across the water and knew where the rocks were.\n"
      "In winter the storms were so strong that the windows rattled and the lamp flickered.\n"
      "Letters from the harbour office came once a month, addressed to keeper@lighthouse.example.org.\n"
      "When spring returned, children from the village came to visit and listened to his stories.";
  Document d = testing::Doc("  " + story + "  \r\n\n\n");
  for (const auto& stage : stages) {
    const Verdict v = stage->Apply(&d);
    ASSERT_TRUE(v.keep) << stage->name() << ": " << v.reason;
  }
  std::string expected = story;
  expected.replace(expected.find("keeper@"), std::string("keeper@lighthouse.example.org").size(), "email@example.com");
  EXPECT_EQ(d.text, expected);
  EXPECT_EQ(d.metadata["pii.emails"], 1);
}

// Each stage alone, on bytes that are not UTF-8 and on odd whitespace,
// returns a verdict (the sanitizer build checks the memory accesses).
TEST(TextStageTest, ArbitraryBytesNeverCrash) {
  Rng rng(testing::FreshSeed());
  static const char* kPieces[] = {"\xFF", "\xE2\x82", "\xF0\x9F", "\xC3", " ", "\n", "\r\n", "\t", "a@b.co",
                                  "1.2.3.4", "::1:", "[1]", "{", "...", "\xE2\x80\xA6", "猫", "word", ".", "'s",
                                  "n't", "\xE3\x80\x82", "-", "#", "\x00", "\xC2\x85"};
  std::vector<std::unique_ptr<TextStage>> stages;
  for (const std::string& name : TextStageNames()) stages.push_back(std::move(MakeTextStage(name, json())).value());
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const size_t n = rng.Below(60);
    for (size_t i = 0; i < n; ++i) {
      if (rng.Below(4) == 0) text.push_back(static_cast<char>(rng.Below(256)));
      else text += kPieces[rng.Below(sizeof(kPieces) / sizeof(kPieces[0]))];
    }
    for (const auto& stage : stages) {
      Document d = testing::Doc(text);
      const Verdict v = stage->Apply(&d);
      EXPECT_TRUE(v.keep || !v.reason.empty()) << stage->name();
    }
  }
}

}  // namespace
}  // namespace seek
