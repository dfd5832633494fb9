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
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace {

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
    std::vector<std::vector<int32_t>> cold(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) cold[i] = t.Encode(lines[i], false);
    const double cold_s = Seconds(t0);
    for (const auto& ids : cold) tokens += ids.size();
    double warm_s = 1e30;
    for (int r = 0; r < 3; ++r) {
      t0 = std::chrono::steady_clock::now();
      for (const std::string& line : lines) {
        const auto ids = t.Encode(line, false);
        if (ids.empty() && !line.empty()) std::abort();
      }
      warm_s = std::min(warm_s, Seconds(t0));
    }
    const auto batch = [&](int n) {
      double best = 1e30;
      for (int r = 0; r < 3; ++r) {
        t0 = std::chrono::steady_clock::now();
        const auto out = t.EncodeBatch(lines, false, n);
        best = std::min(best, Seconds(t0));
        if (out.size() != lines.size()) std::abort();
      }
      return best;
    };
    const double batch1_s = batch(1), batchn_s = batch(threads);
    std::printf("seek %s: %.2f MB, %zu lines, %zu tokens (%.2f bytes/token)\n", label.c_str(), mb, lines.size(),
                tokens, static_cast<double>(bytes) / tokens);
    std::printf("seek %s single cold: %.2f MB/s\n", label.c_str(), mb / cold_s);
    std::printf("seek %s single warm: %.2f MB/s\n", label.c_str(), mb / warm_s);
    std::printf("seek %s batch 1 thread: %.2f MB/s\n", label.c_str(), mb / batch1_s);
    std::printf("seek %s batch %d threads: %.2f MB/s (%.2fx of 1 thread)\n", label.c_str(), threads, mb / batchn_s,
                batch1_s / batchn_s);
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
