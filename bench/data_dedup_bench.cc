// The parts of MinHash sketching (data/minhash.h), one thread each, on the
// King James Bible (data/raw/kjv.txt from scripts/setup.sh, or $SEEK_KJV)
// cut into its 1,189 chapters as documents: where phase (a)'s time goes.
// The whole sketch phase and the dedup stage, with 1 and 2 threads on the
// default corpus replicated to 1 GB, are bench/data_stages.sh's rows.
// "MB/s/core": input text bytes per second of wall time; "MB/cpu_s"
// divides them by the process's CPU time instead, the figure to read on a
// machine shared with other jobs. Rows:
//   SimplifyText      the text simplification alone
//   Shingles          simplification + xxh64 of every 5-gram (no permutations)
//   SignatureOfShingles  the 112 permutations alone, on precomputed shingle hashes
//   SignatureRef      the reference twin, for scale
#include <benchmark/benchmark.h>
#include <time.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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
void SetRate(benchmark::State& state, double cpu_seconds) {
  const double bytes = static_cast<double>(TotalBytes(Chapters())) * state.iterations();
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["MB/s/core"] =
      benchmark::Counter(bytes / 1e6, benchmark::Counter::kIsRate);
  state.counters["MB/cpu_s"] = bytes / 1e6 / cpu_seconds;
  state.counters["docs"] = static_cast<double>(Chapters().size());
}

void BM_SimplifyText(benchmark::State& state) {
  if (!HaveCorpus(state)) return;
  std::string out;
  std::vector<uint32_t> ends;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    for (const auto& d : Chapters()) SimplifyText(d, {}, &out, &ends);
    benchmark::DoNotOptimize(out.data());
  }
  SetRate(state, ProcessCpuSeconds() - cpu0);
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
  SetRate(state, ProcessCpuSeconds() - cpu0);
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
  SetRate(state, ProcessCpuSeconds() - cpu0);
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
  SetRate(state, ProcessCpuSeconds() - cpu0);
}
BENCHMARK(BM_SignatureRef)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace seek
