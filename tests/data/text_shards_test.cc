// tests/data/text_shards_test.cc — text to shards with a tokenizer.json and
// with bytes: the ids in the shards are exactly the encoder's ids of each
// document plus the end-of-text id, on fresh random documents; how the
// end-of-text token is chosen; and the errors for bad tokenizers and for
// shards from different tokenizers.
#include "data/text_shards.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/random.h"
#include "data/tiny_tokenizer_util.h"
#include "data/tokenizer_files.h"
#include "io/file_util.h"
#include "io/io_test_util.h"
#include "io/shard.h"
#include "tokenizer/bytes.h"

namespace seek {
namespace {

using nlohmann::json;
using seek::testing::FreshSeed;
using seek::testing::ScratchDir;
using seek::testing::TinyBpeTokenizerJson;
namespace fs = std::filesystem;

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(WriteFileAtomic(path, text).ok());
}

// A random non-blank line: words, digits, punctuation, some non-ASCII and
// now and then the special token's text.
std::string RandomLine(Rng& rng) {
  static const char* kWords[] = {"the", "and", "in", "ring", "then", "anders", "on", "err", "a",
                                 "Θεός", "字", "🙂", "42", "1999", ",", ".", "!", "  ", "\t",
                                 "<|endoftext|>", "théâtre", "x"};
  std::string s;
  const int n = 1 + static_cast<int>(rng.Below(12));
  for (int i = 0; i < n; ++i) {
    if (i > 0 && rng.Below(4) != 0) s += ' ';
    s += kWords[rng.Below(std::size(kWords))];
  }
  return s.find_first_not_of(" \t") == std::string::npos ? "x" + s : s;
}

// Every document of the shards, in order.
std::vector<std::vector<int32_t>> ReadDocs(const std::vector<std::string>& shards, int64_t* vocab) {
  std::vector<std::vector<int32_t>> docs;
  for (const std::string& p : shards) {
    StatusOr<ShardFile> f = ShardFile::Open(p);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    if (!f.ok()) return docs;
    *vocab = f->vocab_size();
    for (int64_t d = 0; d < f->num_docs(); ++d) {
      std::vector<int32_t> ids(f->DocLength(d));
      f->ReadTokens(d, 0, f->DocLength(d), ids.data());
      docs.push_back(std::move(ids));
    }
  }
  return docs;
}

TEST(TextShards, TokenizerShardsHoldEncodeOfEachDocumentPlusEot) {
  Rng rng(FreshSeed());
  ScratchDir dir;
  Write(dir.File("tok/tokenizer.json"), TinyBpeTokenizerJson({"<|endoftext|>"}).dump());
  auto tok = Tokenizer::FromFile(dir.File("tok"));
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const int32_t eot = *(*tok)->TokenToId("<|endoftext|>");

  // Two inputs of random lines; documents are groups of doc_lines lines.
  const int64_t doc_lines = 1 + static_cast<int64_t>(rng.Below(4));
  std::vector<std::string> inputs, expected_docs;
  for (int f = 0; f < 2; ++f) {
    std::string text, doc;
    const int lines = 1 + static_cast<int>(rng.Below(200));
    for (int l = 0; l < lines; ++l) {
      doc += RandomLine(rng) + "\n";
      if ((l + 1) % doc_lines == 0 || l + 1 == lines) {
        text += doc;
        expected_docs.push_back(doc);
        doc.clear();
      }
    }
    if (rng.Below(2)) {  // no newline at the end of the file
      text.pop_back();
      expected_docs.back().pop_back();
    }
    inputs.push_back(dir.File("in" + std::to_string(f) + ".txt"));
    Write(inputs.back(), text);
  }
  TextShardOptions o;
  o.inputs = inputs;
  o.out_dir = dir.File("shards");
  o.doc_lines = doc_lines;
  o.tokenizer = dir.File("tok/tokenizer.json");
  o.threads = 1 + static_cast<int>(rng.Below(4));
  o.batch_bytes = 1 + static_cast<int64_t>(rng.Below(2000));   // batches of all sizes
  o.shard_tokens = 50 + static_cast<int64_t>(rng.Below(1000));  // several shards
  o.progress = false;
  StatusOr<TextShardResult> r = WriteTextShards(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->eot_id, eot);
  EXPECT_EQ(r->vocab_size, (*tok)->vocab_size());
  EXPECT_EQ(r->documents, static_cast<int64_t>(expected_docs.size()));

  int64_t vocab = 0, tokens = 0;
  std::vector<std::vector<int32_t>> docs = ReadDocs(r->shards, &vocab);
  EXPECT_EQ(vocab, (*tok)->vocab_size());
  ASSERT_EQ(docs.size(), expected_docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    std::vector<int32_t> want = (*tok)->Encode(expected_docs[i], false);
    want.push_back(eot);
    ASSERT_EQ(docs[i], want) << "document " << i << ": " << expected_docs[i];
    tokens += static_cast<int64_t>(docs[i].size());
  }
  EXPECT_EQ(r->tokens, tokens);

  // The shard folder records the tokenizer: its bytes, and the end of text as eos_token.
  EXPECT_EQ(ReadFileToString(dir.File("shards/tokenizer.json")).value(),
            ReadFileToString(dir.File("tok/tokenizer.json")).value());
  json config = json::parse(ReadFileToString(dir.File("shards/tokenizer_config.json")).value());
  EXPECT_EQ(config["eos_token"], "<|endoftext|>");
  StatusOr<std::optional<TokenizerBundle>> found = FindShardTokenizer(r->shards);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->eot_id, eot);
}

TEST(TextShards, ByteShardsHoldBytesPlus256AndDropAStaleTokenizer) {
  Rng rng(FreshSeed());
  ScratchDir dir;
  // Paragraphs separated by blank lines (doc_lines 0); a blank line ends its paragraph.
  std::string text;
  std::vector<std::string> expected;
  const int n = 1 + static_cast<int>(rng.Below(50));
  for (int p = 0; p < n; ++p) {
    std::string para;
    for (int l = 0, lines = 1 + static_cast<int>(rng.Below(4)); l < lines; ++l) para += RandomLine(rng) + "\n";
    para += "\n";
    text += para;
    expected.push_back(para);
  }
  Write(dir.File("in.txt"), text);
  Write(dir.File("shards/tokenizer.json"), "stale");
  TextShardOptions o;
  o.inputs = {dir.File("in.txt")};
  o.out_dir = dir.File("shards");
  o.doc_lines = 0;
  o.batch_bytes = 1 + static_cast<int64_t>(rng.Below(500));
  o.progress = false;
  StatusOr<TextShardResult> r = WriteTextShards(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->eot_id, ByteTokenizer::kEndOfText);
  int64_t vocab = 0;
  std::vector<std::vector<int32_t>> docs = ReadDocs(r->shards, &vocab);
  EXPECT_EQ(vocab, ByteTokenizer::kVocabSize);
  ASSERT_EQ(docs.size(), expected.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    std::vector<int32_t> want = ByteTokenizer::Encode(expected[i]);
    want.push_back(ByteTokenizer::kEndOfText);
    ASSERT_EQ(docs[i], want) << "document " << i;
  }
  EXPECT_FALSE(fs::exists(dir.File("shards/tokenizer.json")));
  EXPECT_FALSE(FindShardTokenizer(r->shards).value().has_value());
}

TEST(TokenizerBundle, EndOfTextFromConfigThenOverrideThenKnownNames) {
  ScratchDir dir;
  Write(dir.File("tokenizer.json"), TinyBpeTokenizerJson({"<s>", "</s>", "<|im_end|>"}).dump());
  auto b = LoadTokenizerBundle(dir.path());  // no config: the known name </s>
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->eot_token, "</s>");
  EXPECT_EQ(b->tokenizer_config["tokenizer_class"], "PreTrainedTokenizerFast");
  EXPECT_EQ(b->eot_id, *b->tokenizer->TokenToId("</s>"));
  Write(dir.File("tokenizer_config.json"),
        json{{"eos_token", {{"content", "<|im_end|>"}, {"special", true}}}, {"model_max_length", 8}}.dump());
  b = LoadTokenizerBundle(dir.File("tokenizer.json"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->eot_token, "<|im_end|>");
  EXPECT_EQ(b->tokenizer_config["eos_token"], "<|im_end|>");
  EXPECT_EQ(b->tokenizer_config["model_max_length"], 8);  // the rest is kept
  EXPECT_FALSE(b->tokenizer_config.contains("tokenizer_class"));
  b = LoadTokenizerBundle(dir.path(), "<s>");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->eot_id, *b->tokenizer->TokenToId("<s>"));
  b = LoadTokenizerBundle(dir.path(), "<nope>");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("\"<nope>\""), std::string::npos) << b.status().ToString();
}

TEST(TokenizerBundle, ErrorsNameTheProblem) {
  ScratchDir dir;
  auto b = LoadTokenizerBundle(dir.File("missing/tokenizer.json"));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("missing/tokenizer.json"), std::string::npos);
  Write(dir.File("noeot/tokenizer.json"), TinyBpeTokenizerJson({"<pad>"}).dump());
  b = LoadTokenizerBundle(dir.File("noeot"));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("no end-of-text token"), std::string::npos) << b.status().ToString();
  EXPECT_NE(b.status().message().find("--eot-token"), std::string::npos);
  Write(dir.File("in.txt"), "some text\n");
  TextShardOptions o;
  o.inputs = {dir.File("in.txt")};
  o.out_dir = dir.File("out");
  o.tokenizer = dir.File("noeot");
  o.progress = false;
  EXPECT_FALSE(WriteTextShards(o).ok());
  EXPECT_FALSE(fs::exists(dir.File("out/shard_00000.bin")));
  o.tokenizer.clear();
  o.eot_token = "</s>";  // meaningless without a tokenizer
  EXPECT_FALSE(WriteTextShards(o).ok());
}

TEST(FindShardTokenizer, RejectsMixedTokenizers) {
  ScratchDir dir;
  Write(dir.File("in.txt"), "the band and the ring\n\nthen on\n");
  auto shard = [&](const std::string& out, const std::string& tokenizer) {
    TextShardOptions o;
    o.inputs = {dir.File("in.txt")};
    o.out_dir = dir.File(out);
    o.doc_lines = 0;
    o.tokenizer = tokenizer;
    o.progress = false;
    StatusOr<TextShardResult> r = WriteTextShards(o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->shards.front() : std::string();
  };
  Write(dir.File("t1/tokenizer.json"), TinyBpeTokenizerJson({"<|endoftext|>"}).dump());
  Write(dir.File("t2/tokenizer.json"), TinyBpeTokenizerJson({"<pad>", "<|endoftext|>"}).dump());
  const std::string a = shard("a", dir.File("t1")), a2 = shard("a2", dir.File("t1"));
  const std::string b = shard("b", dir.File("t2")), bytes = shard("bytes", "");
  auto same = FindShardTokenizer({a, a2});
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->has_value());
  auto two = FindShardTokenizer({a, b});
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("mixes two tokenizers"), std::string::npos) << two.status().ToString();
  auto mixed = FindShardTokenizer({bytes, a});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("byte-level"), std::string::npos) << mixed.status().ToString();
}

// --format jsonl goes through the pipeline's JSONL reader: one document per
// line (blank lines and whitespace-only texts dropped); a bad line is an
// error naming the file and line; an encoder error stops the reading.
TEST(TextShards, JsonlDocumentsAndErrors) {
  ScratchDir dir;
  Write(dir.File("docs.jsonl"),
        R"({"text": "ab", "id": 1})" "\n\n" R"({"text": "  "})" "\n"
        R"({"body": "x", "text": "c\nd"})" "\n");
  TextShardOptions o;
  o.inputs = {dir.File("docs.jsonl")};
  o.out_dir = dir.File("out");
  o.format = "jsonl";
  o.batch_bytes = 1;
  o.progress = false;
  StatusOr<TextShardResult> r = WriteTextShards(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  using Ids = std::vector<std::vector<int32_t>>;
  int64_t vocab = 0;
  EXPECT_EQ(ReadDocs(r->shards, &vocab), (Ids{{'a', 'b', 256}, {'c', '\n', 'd', 256}}));

  o.text_field = "body";
  StatusOr<TextShardResult> bad = WriteTextShards(o);
  ASSERT_FALSE(bad.ok());
  const std::string want = "docs.jsonl line 1: not a JSON object with a string 'body'";
  EXPECT_NE(bad.status().message().find(want), std::string::npos) << bad.status().ToString();

  o.text_field = "text";
  int calls = 0;
  auto failing = [&](const std::vector<std::string>&) -> StatusOr<Ids> {
    ++calls;
    return InvalidArgumentError("no");
  };
  StatusOr<TextShardResult> stop = WriteShardsWith(o, 257, failing);
  ASSERT_FALSE(stop.ok());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace seek
