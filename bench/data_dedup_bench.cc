// Benchmarks for data/minhash.h and data/dedup.h on the King James Bible
// (data/raw/kjv.txt from scripts/setup.sh, or $SEEK_KJV), cut into its 1,189
// chapters as documents. The figure of merit is "MB/s/core": input text
// bytes per second of wall time divided by the threads used (issue 7 asks
// >= 20 MB/s per core for MinHash signatures); "MB/cpu_s" divides the bytes
// by the CPU time of all the process's threads instead, the figure to read
// on a machine shared with other jobs, where wall time includes waiting for
// a core. Rows:
//   Sketches/T        phase (a): simplify + shingle + 112 minimums + band keys, T threads
//   SimplifyText      the text simplification alone (1 thread)
//   Shingles          simplification + xxh64 of every 5-gram (no permutations)
//   SignatureOfShingles  the 112 permutations alone, on precomputed shingle hashes
//   SignatureRef      the reference twin (1 thread), for scale
//   Deduplicate/T     exact + near-duplicate end to end, T threads
#include <benchmark/benchmark.h>
#include <time.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/threads.h"
#include "data/dedup.h"
#include "data/minhash.h"

namespace seek {
namespace {

// Chapters: consecutive lines whose reference ("Ge1:1") has the same prefix
// before ':'.
const std::vector<std::string>& Chapters() {
  static const std::vector<std::string> chapters = [] {
    const char* env = std::getenv("SEEK_KJV");
    std::ifstream in(env ? env : "data/raw/kjv.txt");
    std::vector<std::string> out;
    std::string line, current_key;
    while (std::getline(in, line)) {
      const std::string key = line.substr(0, line.find(':'));
      if (out.empty() || key != current_key) out.emplace_back();
      current_key = key;
      out.back() += line + "\n";
    }
    return out;
  }();
  return chapters;
}

int64_t TotalBytes(const std::vector<std::string>& docs) {
  int64_t n = 0;
  for (const auto& d : docs) n += static_cast<int64_t>(d.size());
  return n;
}

bool HaveCorpus(benchmark::State& state) {
  if (!Chapters().empty()) return true;
  state.SkipWithError("data/raw/kjv.txt not found (run scripts/setup.sh or set SEEK_KJV)");
  return false;
}

double ProcessCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// cpu_seconds: the process's CPU time spent in the timed loop.
void SetRate(benchmark::State& state, int threads, double cpu_seconds) {
  const double bytes = static_cast<double>(TotalBytes(Chapters())) * state.iterations();
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["MB/s/core"] =
      benchmark::Counter(bytes / 1e6 / threads, benchmark::Counter::kIsRate);
  state.counters["MB/cpu_s"] = bytes / 1e6 / cpu_seconds;
  state.counters["docs"] = static_cast<double>(Chapters().size());
}

void BM_Sketches(benchmark::State& state) {
  if (!HaveCorpus(state)) return;
  const int threads = static_cast<int>(state.range(0));
  const std::vector<std::string_view> texts(Chapters().begin(), Chapters().end());
  const MinHasher hasher = MinHasher::Create({}).value();
  const int saved = NumThreads();
  SetNumThreads(threads);
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) benchmark::DoNotOptimize(ComputeSketches(hasher, texts));
  const double cpu = ProcessCpuSeconds() - cpu0;
  SetNumThreads(saved);
  SetRate(state, threads, cpu);
}
BENCHMARK(BM_Sketches)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_SimplifyText(benchmark::State& state) {
  if (!HaveCorpus(state)) return;
  std::string out;
  std::vector<uint32_t> ends;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    for (const auto& d : Chapters()) SimplifyText(d, {}, &out, &ends);
    benchmark::DoNotOptimize(out.data());
  }
  SetRate(state, 1, ProcessCpuSeconds() - cpu0);
}
BENCHMARK(BM_SimplifyText)->Unit(benchmark::kMillisecond);

void BM_Shingles(benchmark::State& state) {
  if (!HaveCorpus(state)) return;
  const MinHasher hasher = MinHasher::Create({}).value();
  MinHasher::Scratch scratch;
  std::vector<uint64_t> shingles;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    for (const auto& d : Chapters()) {
      shingles.clear();
      hasher.Shingles(d, &scratch, &shingles);
    }
    benchmark::DoNotOptimize(shingles.data());
  }
  SetRate(state, 1, ProcessCpuSeconds() - cpu0);
}
BENCHMARK(BM_Shingles)->Unit(benchmark::kMillisecond);

void BM_SignatureOfShingles(benchmark::State& state) {
  if (!HaveCorpus(state)) return;
  const MinHasher hasher = MinHasher::Create({}).value();
  MinHasher::Scratch scratch;
  std::vector<std::vector<uint64_t>> shingles(Chapters().size());
  int64_t n_shingles = 0;
  for (size_t i = 0; i < shingles.size(); ++i) {
    hasher.Shingles(Chapters()[i], &scratch, &shingles[i]);
    n_shingles += static_cast<int64_t>(shingles[i].size());
  }
  std::vector<uint64_t> sig(hasher.config().num_hashes());
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    for (const auto& s : shingles) hasher.SignatureOfShingles(s, sig.data());
    benchmark::DoNotOptimize(sig.data());
  }
  SetRate(state, 1, ProcessCpuSeconds() - cpu0);
  state.counters["ns/shingle"] =
      benchmark::Counter(static_cast<double>(n_shingles) * state.iterations() * 1e-9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SignatureOfShingles)->Unit(benchmark::kMillisecond);

void BM_SignatureRef(benchmark::State& state) {
  if (!HaveCorpus(state)) return;
  const MinHasher hasher = MinHasher::Create({}).value();
  std::vector<uint64_t> sig;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    for (const auto& d : Chapters()) benchmark::DoNotOptimize(SignatureRef(d, hasher, &sig));
  }
  SetRate(state, 1, ProcessCpuSeconds() - cpu0);
}
BENCHMARK(BM_SignatureRef)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Deduplicate(benchmark::State& state) {
  if (!HaveCorpus(state)) return;
  const int threads = static_cast<int>(state.range(0));
  std::vector<Document> docs;
  for (size_t i = 0; i < Chapters().size(); ++i)
    docs.push_back({Chapters()[i], "books", "kjv#" + std::to_string(i), "", {}});
  const int saved = NumThreads();
  SetNumThreads(threads);
  int64_t dropped = 0;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    auto r = Deduplicate(docs, {});
    dropped = r->stats.exact_dropped + r->stats.minhash_dropped;
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  SetNumThreads(saved);
  SetRate(state, threads, cpu);
  state.counters["dropped"] = static_cast<double>(dropped);
}
BENCHMARK(BM_Deduplicate)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace seek
