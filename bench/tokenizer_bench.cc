// bench/tokenizer_bench.cc — tokenizer encode throughput (MB/s of UTF-8 in).
//
//   tokenizer_bench <tokenizer.json> <label>=<file> [<label>=<file> ...]
//                   [--threads N] [--ids OUT_PREFIX]
//
// Each file holds one text per line; every line is encoded separately with
// add_special_tokens = false, as a user encoding documents would. Per file:
//   single/cold  one pass on one thread right after loading the tokenizer
//                (the word cache starts empty) — the honest figure;
//   single/warm  best of three more passes (the cache now holds the words);
//   batch        best of three EncodeBatch passes on --threads threads
//                (default: hardware concurrency), and on 1 thread for scale.
// Each file is timed on a freshly loaded tokenizer so its cold pass is cold.
// --ids writes the ids of the cold pass (one JSON array per line) to
// OUT_PREFIX<label>.jsonl so they can be compared with the reference.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace {

// CPU time of the calling thread: on a shared, overloaded machine the
// single-thread figures are also given per CPU second (wall time counts the
// time other processes held the core).
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// CPU time of the whole process (all threads), for EncodeBatch.
double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> ReadLines(const std::string& path, size_t* bytes) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  *bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    *bytes += line.size();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <tokenizer.json> <label>=<file>... [--threads N] [--ids OUT_PREFIX]\n", argv[0]);
    return 1;
  }
  const std::string json = argv[1];
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string ids_prefix;
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--ids" && i + 1 < argc) {
      ids_prefix = argv[++i];
    } else if (const size_t eq = a.find('='); eq != std::string::npos) {
      files.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    } else {
      std::fprintf(stderr, "bad argument %s\n", a.c_str());
      return 1;
    }
  }
  for (const auto& [label, path] : files) {
    size_t bytes = 0;
    const std::vector<std::string> lines = ReadLines(path, &bytes);
    auto tok = seek::Tokenizer::FromFile(json);
    if (!tok.ok()) {
      std::fprintf(stderr, "%s\n", tok.status().ToString().c_str());
      return 1;
    }
    const seek::Tokenizer& t = **tok;
    const double mb = bytes / 1e6;
    size_t tokens = 0;
    auto t0 = std::chrono::steady_clock::now();
    double c0 = ThreadCpuSeconds();
    std::vector<std::vector<int32_t>> cold(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) cold[i] = t.Encode(lines[i], false);
    const double cold_s = Seconds(t0), cold_cpu = ThreadCpuSeconds() - c0;
    for (const auto& ids : cold) tokens += ids.size();
    double warm_s = 1e30, warm_cpu = 1e30;
    for (int r = 0; r < 3; ++r) {
      t0 = std::chrono::steady_clock::now();
      c0 = ThreadCpuSeconds();
      for (const std::string& line : lines) {
        const auto ids = t.Encode(line, false);
        if (ids.empty() && !line.empty()) std::abort();
      }
      warm_s = std::min(warm_s, Seconds(t0));
      warm_cpu = std::min(warm_cpu, ThreadCpuSeconds() - c0);
    }
    // Best wall time and the CPU seconds (all threads) of that pass.
    const auto batch = [&](int n, double* cpu) {
      double best = 1e30;
      for (int r = 0; r < 3; ++r) {
        t0 = std::chrono::steady_clock::now();
        const double p0 = ProcessCpuSeconds();
        const auto out = t.EncodeBatch(lines, false, n);
        const double s = Seconds(t0);
        if (s < best) {
          best = s;
          *cpu = ProcessCpuSeconds() - p0;
        }
        if (out.size() != lines.size()) std::abort();
      }
      return best;
    };
    double batch1_cpu = 0, batchn_cpu = 0;
    const double batch1_s = batch(1, &batch1_cpu), batchn_s = batch(threads, &batchn_cpu);
    std::printf("seek %s: %.2f MB, %zu lines, %zu tokens (%.2f bytes/token)\n", label.c_str(), mb, lines.size(),
                tokens, static_cast<double>(bytes) / tokens);
    std::printf("seek %s single cold: %.2f MB/s (%.2f MB/s per CPU second)\n", label.c_str(), mb / cold_s,
                mb / cold_cpu);
    std::printf("seek %s single warm: %.2f MB/s (%.2f MB/s per CPU second)\n", label.c_str(), mb / warm_s,
                mb / warm_cpu);
    std::printf("seek %s batch 1 thread: %.2f MB/s (%.2f MB/s per CPU second)\n", label.c_str(), mb / batch1_s,
                mb / batch1_cpu);
    std::printf("seek %s batch %d threads: %.2f MB/s (%.2fx of 1 thread; %.2f MB/s per CPU second)\n",
                label.c_str(), threads, mb / batchn_s, batch1_s / batchn_s, mb / batchn_cpu);
    if (!ids_prefix.empty()) {
      std::ofstream out(ids_prefix + label + ".jsonl");
      for (const auto& ids : cold) {
        out << '[';
        for (size_t k = 0; k < ids.size(); ++k) out << (k ? "," : "") << ids[k];
        out << "]\n";
      }
    }
    std::fflush(stdout);
  }
  return 0;
}
