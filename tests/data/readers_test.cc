// Pipeline inputs: text files, records split on a separator or blank lines,
// JSONL, .zst; stable ids and order; bad records counted or refused.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <zstd.h>

#include "data/readers.h"
#include "io/file_util.h"

namespace seek {
namespace {

namespace fs = std::filesystem;

class ReadersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("readers_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    ASSERT_TRUE(WriteFileAtomic((dir_ / rel).string(), text).ok());
  }
  std::vector<Document> Read(InputConfig in, ReadStats* stats, Status* status = nullptr) {
    std::vector<Document> out;
    Status s = ReadInput(in, stats, [&](Document&& d) { out.push_back(std::move(d)); });
    if (status) *status = s;
    else EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  fs::path dir_;
};

TEST_F(ReadersTest, OneDocumentPerFileInPathOrder) {
  Write("b/2.txt", "second");
  Write("a.txt", "first");
  Write("b/1.txt", "  \n");  // blank: skipped
  Write("c.dat", "binary");
  InputConfig in;
  in.source = "docs";
  in.path = dir_.string();
  in.exclude = {".dat"};
  ReadStats st;
  std::vector<Document> d = Read(in, &st);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, "docs/a.txt");
  EXPECT_EQ(d[0].text, "first");
  EXPECT_EQ(d[1].id, "docs/b/2.txt");
  EXPECT_EQ(d[1].source, "docs");
  EXPECT_EQ(st.files, 3);
  EXPECT_EQ(st.documents, 2);
  EXPECT_EQ(st.bytes, 11);
  EXPECT_EQ(st.skipped["empty"], 1);
}

TEST_F(ReadersTest, SeparatorAndBlankLineRecords) {
  Write("f", "one\ntwo\n%\n%\nthree\r\n%\r\nfour");
  InputConfig in;
  in.source = "quotes";
  in.path = (dir_ / "f").string();
  in.separator = "%";
  ReadStats st;
  std::vector<Document> d = Read(in, &st);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].text, "one\ntwo\n");
  EXPECT_EQ(d[0].id, "quotes/f#0");
  EXPECT_EQ(d[1].text, "three\r\n");
  EXPECT_EQ(d[2].text, "four");
  EXPECT_EQ(d[2].id, "quotes/f#2");
  in.separator.clear();
  in.split_blank_lines = true;
  Write("g", "p1 a\np1 b\n\n\n  \np2\n");
  in.path = (dir_ / "g").string();
  d = Read(in, &st);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].text, "p1 a\np1 b\n");
  EXPECT_EQ(d[1].text, "p2\n");
}

TEST_F(ReadersTest, JsonlCountsOrRefusesBadLines) {
  Write("x.jsonl", "{\"text\": \"a\", \"id\": 7}\nnot json\n{\"body\": \"b\"}\n\n{\"text\": \"c\"}\n[1]\n");
  InputConfig in;
  in.source = "web";
  in.path = (dir_ / "x.jsonl").string();
  in.format = "jsonl";
  in.id_field = "id";
  ReadStats st;
  std::vector<Document> d = Read(in, &st);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, "web/7");
  EXPECT_EQ(d[1].text, "c");
  EXPECT_EQ(d[1].id, "web/x.jsonl#4");
  EXPECT_EQ(st.skipped["bad_json"], 3);
  in.strict = true;
  Status s;
  Read(in, &st, &s);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("x.jsonl line 2"), std::string::npos) << s.message();
}

// seek data's documents.jsonl: ids, sources and languages come back as written.
TEST_F(ReadersTest, DocumentsKeepTheirIdSourceAndLanguage) {
  Write("documents.jsonl",
        "{\"id\": \"books/a#3\", \"source\": \"books\", \"language\": \"en\", \"text\": \"one\"}\n"
        "{\"id\": \"web/9\", \"source\": \"web\", \"text\": \"two\"}\n"
        "{\"id\": 5, \"source\": \"web\", \"text\": \"bad id\"}\n"
        "{\"id\": \"x\", \"text\": \"no source\"}\n"
        "{\"id\": \"y\", \"source\": \"web\", \"text\": \"  \"}\n");
  InputConfig in;
  in.source = "ignored";
  in.path = (dir_ / "documents.jsonl").string();
  in.format = "documents";
  ReadStats st;
  std::vector<Document> d = Read(in, &st);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, "books/a#3");
  EXPECT_EQ(d[0].source, "books");
  EXPECT_EQ(d[0].language, "en");
  EXPECT_EQ(d[1].id, "web/9");
  EXPECT_EQ(d[1].source, "web");
  EXPECT_EQ(d[1].language, "");
  EXPECT_EQ(st.skipped["bad_json"], 2);
  EXPECT_EQ(st.skipped["empty"], 1);
  in.strict = true;
  Status s;
  Read(in, &st, &s);
  EXPECT_NE(s.message().find("documents.jsonl line 3"), std::string::npos) << s.message();
}

TEST_F(ReadersTest, ZstdRoundTripAndTruncation) {
  std::mt19937 rng(std::random_device{}());
  std::string text;
  for (int i = 0; i < 20000; ++i) text += static_cast<char>('a' + rng() % 26);
  std::string z(ZSTD_compressBound(text.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), text.data(), text.size(), 3));
  Write("t.txt.zst", z);
  InputConfig in;
  in.source = "s";
  in.path = (dir_ / "t.txt.zst").string();
  ReadStats st;
  std::vector<Document> d = Read(in, &st);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].text, text);
  Write("t.txt.zst", z.substr(0, z.size() / 2));
  d = Read(in, &st);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(st.skipped["bad_zstd"], 1);
  EXPECT_FALSE(DecompressZstd("garbage", "g.zst").ok());
}

TEST_F(ReadersTest, ConfigErrorsNameTheKey) {
  auto err = [](const char* j) {
    return InputConfig::FromJson(nlohmann::json::parse(j), "inputs[0]").status().message();
  };
  EXPECT_NE(err(R"({"source": "a", "path": "p", "colour": 1})").find("unknown key 'colour'"), std::string::npos);
  EXPECT_NE(err(R"({"path": "p"})").find("'source'"), std::string::npos);
  EXPECT_NE(err(R"({"source": "a", "path": "p", "format": "xml"})").find("'xml'"), std::string::npos);
  EXPECT_NE(err(R"({"source": "a", "path": 3})").find("'path' must be a string"), std::string::npos);
  InputConfig in;
  in.source = "a";
  in.path = (dir_ / "missing").string();
  EXPECT_EQ(ListInputFiles(in).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace seek
