// data/filter_gopher_repetition.cc — see filter_gopher_repetition.h.
#include "data/filter_gopher_repetition.h"

#include <fmt/format.h>

#include "data/py_text.h"
#include "data/stage_config.h"
#include "data/text_duplicates.h"
#include "data/word_splitter.h"

namespace seek {
namespace {

constexpr uint64_t kBase = 0x9E3779B97F4A7C15ull;  // odd: polynomial hashes mod 2^64

// re.split(r"\n{min_run,}", s): the pieces between runs of at least
// `min_run` newlines, empty pieces at either end included.
void SplitAtNewlineRuns(std::string_view s, size_t min_run, std::vector<std::string_view>* out) {
  out->clear();
  size_t start = 0, i = 0;
  while (i < s.size()) {
    const size_t nl = s.find('\n', i);
    if (nl == std::string_view::npos) break;
    size_t end = nl;
    while (end < s.size() && s[end] == '\n') ++end;
    if (end - nl >= min_run) {
      out->push_back(s.substr(start, nl - start));
      start = end;
    }
    i = end;
  }
  out->push_back(s.substr(start));
}

// Words of a document with what the n-gram rules need, built once.
struct Words {
  std::vector<std::string_view> words;
  std::vector<uint64_t> word_hash;    // XXH3 of each word
  std::vector<uint64_t> seq_prefix;   // [W+1] polynomial prefix over word_hash
  std::vector<uint64_t> seq_power;    // [W+1] kBase^k
  std::vector<size_t> cp_prefix;      // [W+1] code points before word k
  std::string concat;                 // the words joined without spaces
  std::vector<size_t> concat_off;     // [W+1] byte offset of word k in concat
  std::vector<uint64_t> byte_prefix;  // [|concat|+1] polynomial prefix over concat
  std::vector<uint64_t> byte_power;   // [|concat|+1]

  void Build(const std::vector<std::string_view>& w) {
    words = w;
    const size_t n = w.size();
    word_hash.resize(n);
    seq_prefix.assign(n + 1, 0);
    seq_power.assign(n + 1, 1);
    cp_prefix.assign(n + 1, 0);
    concat.clear();
    concat_off.assign(n + 1, 0);
    for (size_t k = 0; k < n; ++k) {
      word_hash[k] = HashBytes(w[k]);
      seq_prefix[k + 1] = seq_prefix[k] * kBase + word_hash[k];
      seq_power[k + 1] = seq_power[k] * kBase;
      cp_prefix[k + 1] = cp_prefix[k] + CountCodePoints(w[k]);
      concat.append(w[k]);
      concat_off[k + 1] = concat.size();
    }
    byte_prefix.assign(concat.size() + 1, 0);
    byte_power.assign(concat.size() + 1, 1);
    for (size_t j = 0; j < concat.size(); ++j) {
      byte_prefix[j + 1] = byte_prefix[j] * kBase + static_cast<uint8_t>(concat[j]) + 1;
      byte_power[j + 1] = byte_power[j] * kBase;
    }
  }
  uint64_t SeqHash(size_t i, size_t n) const { return seq_prefix[i + n] - seq_prefix[i] * seq_power[n]; }
  bool SameSeq(size_t i, size_t j, size_t n) const {
    for (size_t k = 0; k < n; ++k)
      if (words[i + k] != words[j + k]) return false;
    return true;
  }
  std::string_view Concat(size_t i, size_t n) const {
    return std::string_view(concat).substr(concat_off[i], concat_off[i + n] - concat_off[i]);
  }
  uint64_t ConcatHash(size_t i, size_t n) const {
    const size_t l = concat_off[i], r = concat_off[i + n];
    return byte_prefix[r] - byte_prefix[l] * byte_power[r - l];
  }
};

// find_top_duplicate(get_n_grams(words, n)): characters of the most common
// n-gram (joined with spaces) times its count; 0 if there is no n-gram.
size_t TopNGramChars(const Words& w, size_t n) {
  const size_t total = w.words.size();
  if (total < n) return 0;
  const size_t m = total - n + 1;
  thread_local HashedSet set;
  thread_local std::vector<uint32_t> slot_of;
  set.Reset(m);
  slot_of.resize(m);
  uint32_t best = 0;
  for (size_t i = 0; i < m; ++i) {
    bool inserted;
    const size_t slot = set.FindOrInsert(w.SeqHash(i, n), static_cast<uint32_t>(i),
                                         [&](uint32_t j) { return w.SameSeq(j, i, n); }, &inserted);
    slot_of[i] = static_cast<uint32_t>(slot);
    best = std::max(best, ++set.count(slot));
  }
  for (size_t i = 0; i < m; ++i) {  // Counter.most_common: the first seen among equals
    if (set.count(slot_of[i]) != best) continue;
    const size_t chars = w.cp_prefix[i + n] - w.cp_prefix[i] + (n - 1);
    return chars * best;
  }
  return 0;
}

// find_all_duplicate(words, n).
size_t DuplicatedNGramChars(const Words& w, size_t n) {
  const size_t total = w.words.size();
  if (total < n) return 0;
  const size_t m = total - n + 1;
  thread_local HashedSet set;
  set.Reset(m);
  size_t repeated = 0;
  for (size_t i = 0; i < m;) {
    bool inserted;
    const std::string_view gram = w.Concat(i, n);
    set.FindOrInsert(w.ConcatHash(i, n), static_cast<uint32_t>(i),
                     [&](uint32_t j) { return w.Concat(j, n) == gram; }, &inserted);
    if (inserted) {
      ++i;
    } else {
      repeated += w.cp_prefix[i + n] - w.cp_prefix[i];
      i += n;
    }
  }
  return repeated;
}

}  // namespace

StatusOr<GopherRepetitionFilter> GopherRepetitionFilter::FromJson(const nlohmann::json& overrides) {
  GopherRepetitionConfig c;
  ConfigBinder b("gopher_repetition");
  b.Number("dup_line_frac", &c.dup_line_frac, 0)
      .Number("dup_para_frac", &c.dup_para_frac, 0)
      .Number("dup_line_char_frac", &c.dup_line_char_frac, 0)
      .Number("dup_para_char_frac", &c.dup_para_char_frac, 0)
      .IntNumberPairs("top_n_grams", &c.top_n_grams)
      .IntNumberPairs("dup_n_grams", &c.dup_n_grams);
  RETURN_IF_ERROR(b.Apply(overrides));
  return GopherRepetitionFilter(std::move(c));
}

Verdict GopherRepetitionFilter::Apply(Document* doc) const {
  const GopherRepetitionConfig& c = config_;
  const std::string_view text = doc->text;
  const size_t text_chars = CountCodePoints(text);
  if (text_chars == 0) return Verdict::Keep();  // datatrove divides by len(text) = 0
  const double chars = static_cast<double>(text_chars);
  thread_local std::vector<std::string_view> pieces;

  SplitAtNewlineRuns(PyStrip(text), 2, &pieces);
  DuplicateCount d = FindDuplicates(pieces);
  if (c.dup_para_frac && static_cast<double>(d.elements) / static_cast<double>(pieces.size()) > c.dup_para_frac)
    return Verdict::Drop("dup_para_frac");
  if (c.dup_para_char_frac && static_cast<double>(d.chars) / chars > c.dup_para_char_frac)
    return Verdict::Drop("dup_para_char_frac");

  SplitAtNewlineRuns(text, 1, &pieces);
  d = FindDuplicates(pieces);
  if (c.dup_line_frac && static_cast<double>(d.elements) / static_cast<double>(pieces.size()) > c.dup_line_frac)
    return Verdict::Drop("dup_line_frac");
  if (c.dup_line_char_frac && static_cast<double>(d.chars) / chars > c.dup_line_char_frac)
    return Verdict::Drop("dup_line_char_frac");

  if (c.top_n_grams.empty() && c.dup_n_grams.empty()) return Verdict::Keep();
  thread_local WordSplit split;
  thread_local Words words;
  split.clear();
  SplitWords(text, &split);
  words.Build(split.words);
  for (const auto& [n, frac] : c.top_n_grams) {
    if (static_cast<double>(TopNGramChars(words, static_cast<size_t>(n))) / chars > frac)
      return Verdict::Drop(fmt::format("top_{}_gram", n));
  }
  for (const auto& [n, frac] : c.dup_n_grams) {
    if (static_cast<double>(DuplicatedNGramChars(words, static_cast<size_t>(n))) / chars > frac)
      return Verdict::Drop(fmt::format("duplicated_{}_n_grams", n));
  }
  return Verdict::Keep();
}

}  // namespace seek
