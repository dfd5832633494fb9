// Throughput of the data pipeline's text stages (data/text_stage.h) on the
// King James Bible (data/raw/kjv.txt from scripts/setup.sh; another file
// with SEEK_KJV=path), split into one document per chapter (1,189 documents,
// ~4.4 MB). Each stage runs with its defaults on a fresh copy of every
// document; "MB/s" is input bytes per second of one thread (per core), and
// the Threads(2) rows run two threads over the whole corpus each (their
// MB/s is the sum of both threads, per wall-clock second). "kept" is
// the fraction of documents the stage keeps. BM_AllStages chains every
// stage in pipeline order, stopping at a document's first drop.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "data/text_stage.h"

namespace seek {
namespace {

// Lines look like "Ge1:1 In the beginning ..."; a chapter is "Ge1".
const std::vector<Document>& Chapters() {
  static const std::vector<Document> docs = [] {
    const char* env = std::getenv("SEEK_KJV");
    std::ifstream in(env != nullptr ? env : "data/raw/kjv.txt");
    std::vector<Document> out;
    std::string line, chapter;
    while (std::getline(in, line)) {
      const size_t colon = line.find(':');
      const size_t space = line.find(' ');
      if (colon == std::string::npos || space == std::string::npos || colon > space) {
        if (!out.empty()) out.back().text += line + "\n";  // a wrapped verse
        continue;
      }
      const std::string key = line.substr(0, colon);
      if (out.empty() || key != chapter) {
        chapter = key;
        out.emplace_back();
        out.back().source = "books";
        out.back().id = "books/kjv.txt#" + key;
        out.back().language = "en";
      }
      out.back().text += line + "\n";
    }
    return out;
  }();
  return docs;
}

size_t CorpusBytes() {
  size_t n = 0;
  for (const Document& d : Chapters()) n += d.text.size();
  return n;
}

void RunStages(benchmark::State& state, const std::vector<std::string>& names) {
  const std::vector<Document>& docs = Chapters();
  if (docs.empty()) {
    state.SkipWithError("no documents: data/raw/kjv.txt missing (run scripts/setup.sh or set SEEK_KJV)");
    return;
  }
  std::vector<std::unique_ptr<TextStage>> stages;
  for (const std::string& name : names) stages.push_back(std::move(MakeTextStage(name, nullptr)).value());
  size_t kept = 0, seen = 0;
  for (auto _ : state) {
    for (const Document& original : docs) {
      Document d = original;
      bool keep = true;
      for (const auto& stage : stages) {
        const Verdict v = stage->Apply(&d);
        if (!v.keep) {
          keep = false;
          break;
        }
      }
      kept += keep;
      ++seen;
      benchmark::DoNotOptimize(d.text.data());
    }
  }
  const double bytes = static_cast<double>(CorpusBytes()) * static_cast<double>(state.iterations());
  state.counters["MB/s"] = benchmark::Counter(bytes / 1e6, benchmark::Counter::kIsRate);
  state.counters["kept"] =
      benchmark::Counter(static_cast<double>(kept) / static_cast<double>(seen), benchmark::Counter::kAvgThreads);
  state.counters["docs"] = benchmark::Counter(static_cast<double>(docs.size()), benchmark::Counter::kAvgThreads);
}

void BM_Stage(benchmark::State& state, const char* name) { RunStages(state, {name}); }
void BM_AllStages(benchmark::State& state) { RunStages(state, TextStageNames()); }

#define SEEK_STAGE_BENCH(name)                                                     \
  BENCHMARK_CAPTURE(BM_Stage, name, #name)->Unit(benchmark::kMillisecond)->Threads(1); \
  BENCHMARK_CAPTURE(BM_Stage, name, #name)->Unit(benchmark::kMillisecond)->Threads(2)->UseRealTime()

SEEK_STAGE_BENCH(normalize);
SEEK_STAGE_BENCH(pii);
SEEK_STAGE_BENCH(gopher_quality);
SEEK_STAGE_BENCH(gopher_repetition);
SEEK_STAGE_BENCH(c4);
SEEK_STAGE_BENCH(fineweb);
BENCHMARK(BM_AllStages)->Unit(benchmark::kMillisecond)->Threads(1);
BENCHMARK(BM_AllStages)->Unit(benchmark::kMillisecond)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace seek
