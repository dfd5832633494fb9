// tests/tokenizer/bpe_trainer_test_util.h — fresh random corpora for the BPE
// trainer tests.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/random.h"

namespace seek::testing {

// A new seed for every run, printed so a failure can be replayed
// (SEEK_TEST_SEED=<n> fixes it).
inline uint64_t FreshSeed() {
  if (const char* env = std::getenv("SEEK_TEST_SEED")) return std::strtoull(env, nullptr, 10);
  const uint64_t seed =
      (static_cast<uint64_t>(std::random_device()()) << 32) ^ std::random_device()();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  return seed;
}

// `lines` lines of words drawn (Zipf-like: small indices more often) from a
// dictionary of `vocab_words` random words over a small alphabet of ASCII,
// Latin-1, Cyrillic, CJK and emoji letters, with digits, contractions,
// punctuation and runs of spaces/tabs, each line ending in "\n".
inline std::string RandomCorpus(Rng* rng, int64_t lines, int64_t vocab_words) {
  static const std::vector<std::string> kLetters = {"a", "b", "c",  "d",  "e",    "t", "h", "é",
                                                    "ж", "ы", "中", "文", "🙂", "ß", "o", "n"};
  static const std::vector<std::string> kGlue = {" ",      " ",   " ",    " ",         " ",   ", ",
                                                 ". ",     "  ",  "\t",   " 's ",      "'t ", " 12",
                                                 " 3456 ", "!! ", " -- ", " 🙂🙂 "};
  const auto below = [&](uint64_t n) { return static_cast<int64_t>(rng->NextU64() % n); };
  std::vector<std::string> dict;
  for (int64_t i = 0; i < vocab_words; ++i) {
    std::string w;
    const int64_t len = 1 + below(3) + below(4);
    for (int64_t k = 0; k < len; ++k)
      w += kLetters[below(3) == 0 ? below(kLetters.size()) : below(6)];
    if (below(5) == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    dict.push_back(w);
  }
  std::string out;
  for (int64_t l = 0; l < lines; ++l) {
    const int64_t n = 1 + below(12);
    for (int64_t k = 0; k < n; ++k) {
      // Zipf-like: the minimum of two uniform draws, squared away from the top.
      const int64_t i = std::min(below(dict.size()), below(dict.size()));
      out += dict[std::min(i, below(dict.size()))];
      out += kGlue[below(kGlue.size())];
    }
    out += "\n";
  }
  return out;
}

}  // namespace seek::testing
