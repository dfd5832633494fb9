// tests/data/filter_gopher_repetition_ref_test.cc — the Gopher repetition
// filter's hashed n-gram machinery against its reference twin: datatrove's
// functions written plainly (joined strings in sets and ordered counters),
// on fresh random documents from a small vocabulary that repeats a lot and
// holds words whose concatenations collide ("a" "bc" vs "ab" "c"). Each
// ratio is checked by running the filter with only that rule, its threshold
// just under and just over the reference value. A second test holds the
// whole filter (rule order, early exits, reasons) to a plain reference
// verdict on long documents with many distinct words of every length and
// repeated lines, paragraphs and passages.
#include <gtest/gtest.h>

#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/random.h"
#include "data/filter_gopher_repetition.h"
#include "data/filter_test_util.h"
#include "data/py_text.h"
#include "data/word_splitter.h"
#include "io/io_test_util.h"

namespace seek {
namespace {

size_t Len(const std::string& s) { return CountCodePoints(s); }

// re.split(r"\n{min_run,}", s).
std::vector<std::string> SplitRuns(const std::string& s, size_t min_run) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '\n') {
      cur += s[i++];
      continue;
    }
    size_t j = i;
    while (j < s.size() && s[j] == '\n') ++j;
    if (j - i >= min_run) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.append(j - i, '\n');
    }
    i = j;
  }
  out.push_back(cur);
  return out;
}

std::pair<size_t, size_t> FindDuplicatesRef(const std::vector<std::string>& x) {
  std::unordered_set<std::string> seen;
  size_t elements = 0, chars = 0;
  for (const auto& e : x) {
    if (!seen.insert(e).second) ++elements, chars += Len(e);
  }
  return {elements, chars};
}

std::string Join(const std::vector<std::string>& w, size_t i, size_t n, const std::string& sep) {
  std::string out;
  for (size_t k = 0; k < n; ++k) out += (k ? sep : "") + w[i + k];
  return out;
}

size_t TopRef(const std::vector<std::string>& w, size_t n) {
  if (w.size() < n) return 0;
  std::vector<std::string> order;
  std::unordered_map<std::string, size_t> count;
  for (size_t i = 0; i + n <= w.size(); ++i) {
    const std::string g = Join(w, i, n, " ");
    if (count[g]++ == 0) order.push_back(g);
  }
  size_t best = 0;
  std::string top;
  for (const auto& g : order)
    if (count[g] > best) best = count[g], top = g;  // the first seen among equals
  return Len(top) * best;
}

size_t AllDupRef(const std::vector<std::string>& w, size_t n) {
  std::unordered_set<std::string> unique;
  size_t repeated = 0;
  for (size_t idx = 0; idx + n <= w.size();) {
    const std::string g = Join(w, idx, n, "");
    if (unique.count(g)) {
      repeated += Len(g);
      idx += n;
    } else {
      unique.insert(g);
      ++idx;
    }
  }
  return repeated;
}

std::string RandomDoc(Rng& rng) {
  // Long words make n-grams past the 16-byte key of the shared-start skip;
  // "abcabc" and "bcabca" collide with runs of the short ones.
  static const char* kVocab[] = {"a", "b", "c", "ab", "bc", "abc", "the", "cat", "sat", "on", "mat",
                                 ",", ".", "I", "am", "ünï", "猫", "x", "interconnection", "abcabc", "bcabca"};
  constexpr size_t kSize = sizeof(kVocab) / sizeof(kVocab[0]);
  const size_t vocab = rng.Below(kSize) + 1;
  std::string doc;
  const size_t words = rng.Below(120) + 1;
  for (size_t i = 0; i < words; ++i) {
    doc += kVocab[rng.Below(vocab)];
    const uint64_t r = rng.Below(20);
    doc += r == 0 ? "\n" : r == 1 ? "\n\n" : r == 2 ? "\n\n\n" : " ";
  }
  return doc;
}

GopherRepetitionConfig Only() {
  GopherRepetitionConfig c;
  c.dup_line_frac = c.dup_para_frac = c.dup_line_char_frac = c.dup_para_char_frac = 0;
  c.top_n_grams.clear();
  c.dup_n_grams.clear();
  return c;
}

// The filter with config `c` (one rule at threshold t) drops iff ratio > t.
void ExpectBracketed(const std::string& text, double ratio, const std::string& reason,
                     const std::function<void(GopherRepetitionConfig*, double)>& set) {
  for (double t : {ratio - 1e-9, ratio + 1e-9}) {
    if (t <= 0) continue;  // 0 turns the line and paragraph rules off
    GopherRepetitionConfig c = Only();
    set(&c, t);
    Document d = testing::Doc(text);
    const Verdict v = GopherRepetitionFilter(c).Apply(&d);
    const bool should_drop = ratio > t;
    EXPECT_EQ(!v.keep, should_drop) << reason << " ratio " << ratio << " threshold " << t << " in:\n" << text;
    if (should_drop) {
      EXPECT_EQ(v.reason, reason);
    }
  }
}

TEST(GopherRepetitionRefTest, RatiosMatchPlainImplementation) {
  Rng rng(testing::FreshSeed());
  for (int trial = 0; trial < 300; ++trial) {
    const std::string text = RandomDoc(rng);
    const double chars = static_cast<double>(Len(text));
    WordSplit split;
    SplitWords(text, &split);
    const std::vector<std::string> words(split.words.begin(), split.words.end());

    const auto paras = SplitRuns(std::string(PyStrip(text)), 2);
    const auto [pd, pc] = FindDuplicatesRef(paras);
    ExpectBracketed(text, pd / static_cast<double>(paras.size()), "dup_para_frac",
                    [](GopherRepetitionConfig* c, double t) { c->dup_para_frac = t; });
    ExpectBracketed(text, pc / chars, "dup_para_char_frac",
                    [](GopherRepetitionConfig* c, double t) { c->dup_para_char_frac = t; });
    const auto lines = SplitRuns(text, 1);
    const auto [ld, lc] = FindDuplicatesRef(lines);
    ExpectBracketed(text, ld / static_cast<double>(lines.size()), "dup_line_frac",
                    [](GopherRepetitionConfig* c, double t) { c->dup_line_frac = t; });
    ExpectBracketed(text, lc / chars, "dup_line_char_frac",
                    [](GopherRepetitionConfig* c, double t) { c->dup_line_char_frac = t; });
    for (int n = 2; n <= 4; ++n) {
      // The smaller n-grams run first with a threshold they cannot reach,
      // so the bound they leave is used for n.
      ExpectBracketed(text, TopRef(words, n) / chars, "top_" + std::to_string(n) + "_gram",
                      [n](GopherRepetitionConfig* c, double t) {
                        for (int m = 2; m < n; ++m) c->top_n_grams.push_back({m, 1e9});
                        c->top_n_grams.push_back({n, t});
                      });
    }
    for (int n = 5; n <= 10; ++n)
      ExpectBracketed(text, AllDupRef(words, n) / chars, "duplicated_" + std::to_string(n) + "_n_grams",
                      [n](GopherRepetitionConfig* c, double t) { c->dup_n_grams = {{n, t}}; });
  }
}

// datatrove's GopherRepetitionFilter.filter, written plainly: the rules in
// order, the first that fires gives the reason.
std::string ReferenceReason(const std::string& text, const GopherRepetitionConfig& c) {
  const double chars = static_cast<double>(Len(text));
  if (chars == 0) return "kept";
  const auto paras = SplitRuns(std::string(PyStrip(text)), 2);
  const auto [pd, pc] = FindDuplicatesRef(paras);
  if (c.dup_para_frac && pd / static_cast<double>(paras.size()) > c.dup_para_frac) return "dup_para_frac";
  if (c.dup_para_char_frac && pc / chars > c.dup_para_char_frac) return "dup_para_char_frac";
  const auto lines = SplitRuns(text, 1);
  const auto [ld, lc] = FindDuplicatesRef(lines);
  if (c.dup_line_frac && ld / static_cast<double>(lines.size()) > c.dup_line_frac) return "dup_line_frac";
  if (c.dup_line_char_frac && lc / chars > c.dup_line_char_frac) return "dup_line_char_frac";
  WordSplit split;
  SplitWords(text, &split);
  const std::vector<std::string> words(split.words.begin(), split.words.end());
  for (const auto& [n, frac] : c.top_n_grams)
    if (TopRef(words, n) / chars > frac) return "top_" + std::to_string(n) + "_gram";
  for (const auto& [n, frac] : c.dup_n_grams)
    if (AllDupRef(words, n) / chars > frac) return "duplicated_" + std::to_string(n) + "_n_grams";
  return "kept";
}

// A random word of 1 to 24 bytes (lengths around the filter's 7-, 8- and
// 16-byte cases), ASCII or not, from an alphabet of `letters` letters.
std::string RandomWord(Rng& rng, size_t letters) {
  static const char* kLetters[] = {"a", "b", "c", "d", "e", "f", "g", "h", "ü", "é", "猫", ",", "."};
  constexpr size_t kN = sizeof(kLetters) / sizeof(kLetters[0]);
  const size_t target = rng.Below(4) == 0 ? rng.Below(24) + 1 : rng.Below(9) + 1;
  std::string w;
  while (w.size() < target) w += kLetters[rng.Below(std::min(letters, kN))];
  return w;
}

// Up to a few thousand words: a vocabulary of up to 2,000 random words
// (the filter's tables grow past their first size), with lines, paragraphs
// and passages of 5-12 words copied from earlier in the document.
std::string RandomLongDoc(Rng& rng) {
  const size_t letters = rng.Below(12) + 2;
  std::vector<std::string> vocab(rng.Below(2000) + 1);
  for (auto& w : vocab) w = RandomWord(rng, letters);
  std::vector<std::string> tokens;  // words and separators
  const size_t target = rng.Below(4000) + 1;
  const uint64_t copy_rate = rng.Below(30) + 2;
  while (tokens.size() < target) {
    if (tokens.size() > 20 && rng.Below(copy_rate) == 0) {  // a passage again
      const size_t len = rng.Below(24) + 2;
      const size_t from = rng.Below(tokens.size() - 1);
      for (size_t k = from; k < std::min(from + len, tokens.size()); ++k) tokens.push_back(tokens[k]);
      continue;
    }
    tokens.push_back(vocab[rng.Below(vocab.size())]);
    const uint64_t r = rng.Below(24);
    tokens.push_back(r == 0 ? "\n" : r == 1 ? "\n\n" : r == 2 ? "\n\n\n" : " ");
  }
  std::string doc;
  for (const auto& t : tokens) doc += t;
  if (rng.Below(2) == 0) doc.resize(doc.size() - tokens.back().size());  // sometimes no separator at the end
  return doc;
}

TEST(GopherRepetitionRefTest, VerdictsMatchPlainFilterOnLongDocuments) {
  Rng rng(testing::FreshSeed());
  for (int trial = 0; trial < 60; ++trial) {
    const std::string text = RandomLongDoc(rng);
    // datatrove's defaults, then thresholds drawn low enough that the later
    // rules (longer n-grams) decide some documents.
    GopherRepetitionConfig c;
    if (trial % 2 == 1) {
      const auto draw = [&](double max) { return max * rng.Uniform(); };
      c.dup_line_frac = rng.Below(3) == 0 ? 0 : 0.2 + draw(0.8);
      c.dup_para_frac = rng.Below(3) == 0 ? 0 : 0.2 + draw(0.8);
      c.dup_line_char_frac = rng.Below(3) == 0 ? 0 : 0.2 + draw(0.8);
      c.dup_para_char_frac = rng.Below(3) == 0 ? 0 : 0.2 + draw(0.8);
      for (auto& [n, f] : c.top_n_grams) f = 0.05 + draw(0.5);
      for (auto& [n, f] : c.dup_n_grams) f = draw(0.3);
    }
    Document d = testing::Doc(text);
    const Verdict v = GopherRepetitionFilter(c).Apply(&d);
    EXPECT_EQ(v.keep ? "kept" : v.reason, ReferenceReason(text, c)) << "trial " << trial << " in:\n" << text;
  }
}

}  // namespace
}  // namespace seek
