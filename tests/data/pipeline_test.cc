// `seek data run`: a small pipeline over fresh random inputs gives the same
// output with 1 and 2 threads, counts every document, and refuses bad files.
#include <filesystem>
#include <map>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/threads.h"
#include "data/pipeline.h"
#include "data/stage.h"
#include "io/file_util.h"

namespace seek {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string Words(std::mt19937& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s += ' ';
    const int len = 2 + static_cast<int>(rng() % 7);
    for (int k = 0; k < len; ++k) s += static_cast<char>('a' + rng() % 26);
  }
  return s;
}

TEST(Pipeline, SameOutputForAnyThreadCountAndCountsEveryDocument) {
  std::mt19937 rng(std::random_device{}());
  const fs::path dir = fs::temp_directory_path() / (fmt::format("pipeline_test_{}", getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "a");
  // 40 documents; 10 exact copies of others; 5 with one word changed.
  std::vector<std::string> texts;
  for (int i = 0; i < 25; ++i) texts.push_back(Words(rng, 200));
  for (int i = 0; i < 10; ++i) texts.push_back(texts[i]);
  for (int i = 0; i < 5; ++i) {
    std::string t = texts[10 + i];
    t.replace(t.size() / 2, 3, "zzz");
    texts.push_back(t);
  }
  std::string quotes;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i % 2) ASSERT_TRUE(WriteFileAtomic((dir / "a" / (fmt::format("d{}", i))).string(), texts[i]).ok());
    else quotes += texts[i] + "\n%\n";
  }
  ASSERT_TRUE(WriteFileAtomic((dir / "q.txt").string(), quotes).ok());
  Json p = {{"inputs", {{{"source", "files"}, {"path", (dir / "a").string()}},
                        {{"source", "quotes"}, {"path", (dir / "q.txt").string()}, {"separator", "%"}}}},
            {"stages", {{{"stage", "dedup"}, {"minhash", {{"check_jaccard", true}}}}}},
            {"keep_rejects", true}};
  std::string outputs[2], manifests[2];
  for (int threads : {1, 2}) {
    p["output"] = (dir / (fmt::format("out{}", threads))).string();
    p["threads"] = threads;
    StatusOr<PipelineConfig> c = PipelineConfig::FromJson(p, "test");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    StatusOr<nlohmann::ordered_json> m = RunPipeline(*c, false);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    outputs[threads - 1] = *ReadFileToString(p["output"].get<std::string>() + "/documents.jsonl");
    manifests[threads - 1] = *ReadFileToString(p["output"].get<std::string>() + "/manifest.json");
    const auto& st = (*m)["stages"][0];
    EXPECT_EQ(st["dropped"]["exact_duplicate"], 10);
    EXPECT_GE(st["dropped"].value("minhash_duplicate", 0), 4);  // one-word edits of 200-word texts: J ~ 0.95
    const int64_t kept = (*m)["output"]["documents"];
    const int64_t dropped = st["dropped"]["exact_duplicate"].get<int64_t>() + st["dropped"].value("minhash_duplicate", 0);
    EXPECT_EQ(kept + dropped, 40);
    // rejects.jsonl holds every dropped document with its reason.
    const std::string rejects = *ReadFileToString(p["output"].get<std::string>() + "/rejects.jsonl");
    EXPECT_EQ(std::count(rejects.begin(), rejects.end(), '\n'), dropped);
  }
  SetNumThreads(0);
  EXPECT_EQ(outputs[0], outputs[1]);
  EXPECT_EQ(manifests[0], manifests[1]);
  fs::remove_all(dir);
}

// "shards": the kept documents as byte-level token shards, one document each.
TEST(Pipeline, ShardsHoldTheOutputDocuments) {
  std::mt19937 rng(std::random_device{}());
  const fs::path dir = fs::temp_directory_path() / (fmt::format("pipeline_shards_{}", getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "a");
  const int n = 5 + static_cast<int>(rng() % 20);
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(WriteFileAtomic((dir / "a" / (fmt::format("d{}", i))).string(), Words(rng, 20 + rng() % 50)).ok());
  Json p = {{"inputs", {{{"source", "s"}, {"path", (dir / "a").string()}}}},
            {"stages", Json::array()}, {"output", (dir / "out").string()}, {"shards", Json::object()}};
  StatusOr<PipelineConfig> c = PipelineConfig::FromJson(p, "test");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  StatusOr<nlohmann::ordered_json> m = RunPipeline(*c, false);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  int64_t bytes = 0;
  for (const auto& [src, t] : (*m)["output"]["by_source"].items()) bytes += t["bytes"].get<int64_t>();
  EXPECT_EQ((*m)["shards"]["documents"], n);
  EXPECT_EQ((*m)["shards"]["tokens"], bytes + n);  // bytes and an end-of-text id per document
  EXPECT_EQ((*m)["shards"]["vocab_size"], 257);
  EXPECT_TRUE(fs::exists(dir / "out" / "shards" / "shard_00000.bin"));
  p["shards"] = {{"tokens", 5}};
  StatusOr<PipelineConfig> bad = PipelineConfig::FromJson(p, "p.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("shards.tokens"), std::string::npos);
  fs::remove_all(dir);
}

// A run that fails in its second stage leaves the first stage's state; the
// rerun resumes after it and writes what a fresh run writes. A rerun of a
// finished run only writes; changed inputs or stages start over.
TEST(Pipeline, ResumesAfterTheLastCompletedStage) {
  std::mt19937 rng(std::random_device{}());
  const fs::path dir = fs::temp_directory_path() / (fmt::format("pipeline_resume_{}", getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "a");
  std::vector<std::string> texts;
  for (int i = 0; i < 30; ++i) texts.push_back(Words(rng, 60 + static_cast<int>(rng() % 100)));
  for (int i = 0; i < 8; ++i) texts.push_back(texts[rng() % 30]);
  for (size_t i = 0; i < texts.size(); ++i)
    ASSERT_TRUE(WriteFileAtomic((dir / "a" / (fmt::format("d{}", 100 + i))).string(), texts[i]).ok());
  const Json good_balance = {{"stage", "balance"}, {"weights", {{"files", 1}}}, {"budget_bytes", 20000}};
  const Json bad_balance = {{"stage", "balance"}, {"weights", {{"nobody", 1}}}};  // fails when it runs
  auto run = [&](const Json& balance, const std::string& out, bool resume) -> StatusOr<Json> {
    Json p = {{"inputs", {{{"source", "files"}, {"path", (dir / "a").string()}}}},
              {"stages", {{{"stage", "dedup"}}, balance}},
              {"output", (dir / out).string()}, {"keep_rejects", true}, {"resume", resume}};
    ASSIGN_OR_RETURN(PipelineConfig c, PipelineConfig::FromJson(p, "test"));
    RETURN_IF_ERROR(RunPipeline(c, false).status());
    ASSIGN_OR_RETURN(std::string t, ReadFileToString((dir / out / "timings.json").string()));
    return Json::parse(t);
  };
  auto files = [&](const std::string& out) {
    std::string all;
    for (const char* f : {"documents.jsonl", "manifest.json", "rejects.jsonl"})
      all += *ReadFileToString((dir / out / f).string()) + "\n--\n";
    return all;
  };
  StatusOr<Json> fresh = run(good_balance, "fresh", /*resume=*/false);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_FALSE(fs::exists(dir / "fresh" / ".resume"));

  StatusOr<Json> failed = run(bad_balance, "out", true);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("no source has a positive weight"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out" / "documents.jsonl"));  // nothing half-written
  StatusOr<Json> resumed = run(good_balance, "out", true);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ((*resumed)["resumed_after_stages"], 1);
  EXPECT_EQ((*resumed)["stages"].size(), 1u);  // only balance ran
  EXPECT_EQ(files("out"), files("fresh"));

  StatusOr<Json> again = run(good_balance, "out", true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["resumed_after_stages"], 2);
  EXPECT_EQ(files("out"), files("fresh"));

  // Another budget: the balance stage's key changes, dedup's does not, but only
  // the last state is kept, so the run starts over.
  Json other = good_balance;
  other["budget_bytes"] = 10000;
  StatusOr<Json> changed = run(other, "out", true);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ((*changed)["resumed_after_stages"], 0);
  // A changed input file starts over too.
  ASSERT_TRUE(WriteFileAtomic((dir / "a" / "d100").string(), Words(rng, 70)).ok());
  StatusOr<Json> edited = run(other, "out", true);
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ((*edited)["resumed_after_stages"], 0);
  // A damaged state file: start over, no crash.
  const fs::path state = dir / "out" / ".resume" / "rank-0-of-1.bin";
  ASSERT_TRUE(fs::exists(state));
  fs::resize_file(state, fs::file_size(state) / 2);
  StatusOr<Json> damaged = run(other, "out", true);
  ASSERT_TRUE(damaged.ok()) << damaged.status().ToString();
  EXPECT_EQ((*damaged)["resumed_after_stages"], 0);
  fs::remove_all(dir);
}

TEST(Pipeline, BadPipelineFilesNameTheProblem) {
  auto err = [](const Json& j) {
    StatusOr<PipelineConfig> c = PipelineConfig::FromJson(j, "p.json");
    if (!c.ok()) return c.status().message();
    StatusOr<nlohmann::ordered_json> m = RunPipeline(*c, false);
    return m.ok() ? std::string() : m.status().message();
  };
  const Json in = {{{"source", "s"}, {"path", "/nonexistent"}}};
  EXPECT_NE(err({{"inputs", in}, {"output", "/tmp/x"}, {"colour", 1}}).find("unknown key 'colour'"), std::string::npos);
  EXPECT_NE(err({{"inputs", in}}).find("'output'"), std::string::npos);
  EXPECT_NE(err({{"inputs", in}, {"output", "/tmp/x"}, {"stages", {{{"stage", "bogus"}}}}}).find("unknown stage 'bogus'"),
            std::string::npos);
  EXPECT_NE(err({{"inputs", in}, {"output", "/tmp/x"}, {"stages", {{{"stage", "dedup"}, {"minhash", {{"n_grams", "x"}}}}}}})
                .find("n_grams"),
            std::string::npos);
  EXPECT_NE(err({{"inputs", in}, {"output", "/tmp/x"}, {"stages", {{{"stage", "langid"}, {"model", "/no/model.bin"}}}}})
                .find("/no/model.bin"),
            std::string::npos);
  EXPECT_NE(err({{"inputs", in}, {"output", "/tmp/x"}}).find("/nonexistent"), std::string::npos);
}

}  // namespace
}  // namespace seek

namespace seek {
namespace {

// Two sources, one 4x the other: balancing to equal shares up-samples the
// small one by repetition and down-samples the big one by a draw.
TEST(Pipeline, BalanceReachesTheSharesAndIsOrderFree) {
  std::mt19937 rng(std::random_device{}());
  std::vector<Document> docs;
  for (int i = 0; i < 4000; ++i) {
    Document d;
    d.source = i % 5 == 0 ? "small" : "big";
    d.id = d.source + "/" + std::to_string(i);
    d.text = std::string(100 + rng() % 50, 'x');
    docs.push_back(d);
  }
  for (const Json& opts : {Json{{"weights", {{"small", 1}, {"big", 1}}}}, Json{{"temperature", 0.0}}}) {
    Json j = opts;
    j["stage"] = "balance";
    j["seed"] = rng() % 1000;
    StatusOr<Stage> s = MakeStage(j, "stages[0]");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    std::vector<Document> a = docs;
    std::unique_ptr<Comm> one = LocalComm();
    StatusOr<std::vector<Verdict>> v = s->corpus->Apply(&a, *one);
    ASSERT_TRUE(v.ok());
    std::map<std::string, double> bytes;
    double total = 0;
    std::map<std::string, int> copies_by_id;
    for (size_t i = 0; i < a.size(); ++i) {
      const int c = (*v)[i].keep ? (*v)[i].copies : 0;
      bytes[a[i].source] += c * static_cast<double>(a[i].text.size());
      total += c * static_cast<double>(a[i].text.size());
      copies_by_id[a[i].id] = c;
      if (a[i].source == "small") EXPECT_GE(c, 2) << "ratio 2.5: 2 or 3 copies";
      else EXPECT_LE(c, 1);
    }
    EXPECT_NEAR(bytes["small"] / total, 0.5, 0.03);
    // Shuffled input: every document gets the same number of copies.
    std::shuffle(a.begin(), a.end(), rng);
    StatusOr<std::vector<Verdict>> w = s->corpus->Apply(&a, *one);
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_EQ((*w)[i].keep ? (*w)[i].copies : 0, copies_by_id[a[i].id]);
  }
  EXPECT_FALSE(MakeStage(Json{{"stage", "balance"}}, "s").ok());
  EXPECT_FALSE(MakeStage(Json{{"stage", "balance"}, {"temperature", 2.0}}, "s").ok());
  EXPECT_FALSE(MakeStage(Json{{"stage", "balance"}, {"weights", {{"a", -1}}}}, "s").ok());
}

}  // namespace
}  // namespace seek
