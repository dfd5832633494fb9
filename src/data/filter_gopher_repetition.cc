// data/filter_gopher_repetition.cc — see filter_gopher_repetition.h.
#include "data/filter_gopher_repetition.h"

#include <fmt/format.h>

#include <cstdint>
#include <string>

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

// The inverse of an odd number modulo 2^64 (Newton's iteration).
constexpr uint64_t InverseMod64(uint64_t a) {
  uint64_t x = a;
  for (int i = 0; i < 6; ++i) x *= 2 - a * x;
  return x;
}
constexpr uint64_t kBaseInverse = InverseMod64(kBase);
static_assert(kBase * kBaseInverse == 1);

// Words of a document with what the n-gram rules need, built once in one
// pass over their bytes. N-grams are hashed in O(1) from prefix arrays over
// words: polynomial hashes mod 2^64 of the words concatenated (datatrove's
// identity for duplicated n-grams) and of the word sequence (its identity
// for the top n-grams); equal hashes are confirmed by comparing the text.
struct Words {
  std::vector<std::string_view> words;
  std::vector<size_t> cp_prefix;     // [W+1] code points before word k
  std::vector<uint64_t> seq_prefix;  // [W+1] polynomial prefix over word hashes
  std::vector<uint64_t> cat_prefix;  // [W+1] polynomial hash of the bytes before word k
  std::vector<uint64_t> cat_power;   // [W+1] kBase^(bytes before word k)
  std::vector<uint64_t> cat_inverse; // [W+1] its inverse
  std::string concat;                // the words joined without spaces
  std::vector<size_t> byte_prefix;   // [W+1] bytes of concat before word k
  std::vector<char> shared;          // [W] see MarkShared
  uint64_t seq_power[16] = {};       // kBase^n for the top n-grams (n < 16)
  static constexpr size_t kPowers = 64;
  uint64_t powers_[kPowers], inverse_powers_[kPowers];  // kBase^k and its inverse, for short words

  static uint64_t Power(uint64_t base, size_t e) {
    uint64_t r = 1;
    for (; e > 0; e >>= 1, base *= base)
      if (e & 1) r *= base;
    return r;
  }
  Words() {
    powers_[0] = inverse_powers_[0] = 1;
    for (size_t k = 1; k < kPowers; ++k) {
      powers_[k] = powers_[k - 1] * kBase;
      inverse_powers_[k] = inverse_powers_[k - 1] * kBaseInverse;
    }
  }

  void Build(const std::vector<std::string_view>& w) {
    words = w;
    const size_t n = w.size();
    cp_prefix.resize(n + 1);
    seq_prefix.resize(n + 1);
    cat_prefix.resize(n + 1);
    cat_power.resize(n + 1);
    cat_inverse.resize(n + 1);
    concat.clear();
    byte_prefix.resize(n + 1);
    byte_prefix[0] = 0;
    cp_prefix[0] = 0;
    seq_prefix[0] = cat_prefix[0] = 0;
    cat_power[0] = cat_inverse[0] = 1;
    for (size_t k = 0; k < n; ++k) {
      uint64_t h = 0;
      uint8_t high = 0;
      for (char c : w[k]) {
        h = h * kBase + static_cast<uint8_t>(c) + 1;
        high |= static_cast<uint8_t>(c);
      }
      const size_t size = w[k].size();
      const uint64_t p = size < kPowers ? powers_[size] : Power(kBase, size);
      const uint64_t q = size < kPowers ? inverse_powers_[size] : Power(kBaseInverse, size);
      cp_prefix[k + 1] = cp_prefix[k] + (high < 0x80 ? size : CountCodePoints(w[k]));
      concat.append(w[k]);
      byte_prefix[k + 1] = concat.size();
      seq_prefix[k + 1] = seq_prefix[k] * kBase + (h ^ (p >> 17));
      cat_prefix[k + 1] = cat_prefix[k] * p + h;
      cat_power[k + 1] = cat_power[k] * p;
      cat_inverse[k + 1] = cat_inverse[k] * q;
    }
    seq_power[0] = 1;
    for (int i = 1; i < 16; ++i) seq_power[i] = seq_power[i - 1] * kBase;
  }
  size_t Chars(size_t i, size_t n) const { return cp_prefix[i + n] - cp_prefix[i]; }
  uint64_t SeqHash(size_t i, size_t n) const {
    const uint64_t power = n < 16 ? seq_power[n] : cat_power[0];  // n >= 16: weaker hash, still verified
    return seq_prefix[i + n] - seq_prefix[i] * power;
  }
  bool SameSeq(size_t i, size_t j, size_t n) const {
    for (size_t k = 0; k < n; ++k)
      if (words[i + k] != words[j + k]) return false;
    return true;
  }
  size_t Bytes(size_t i, size_t n) const { return byte_prefix[i + n] - byte_prefix[i]; }

  // Two n-grams with equal concatenations of at least kKeyBytes bytes start
  // with the same kKeyBytes bytes of `concat`. shared[k] is 0 when the
  // kKeyBytes bytes from word k's start occur at no other word start (1 if
  // they might: hashes that collide only mark more words shared), so an
  // n-gram from word k at least that long equals no other n-gram.
  static constexpr size_t kKeyBytes = 16;
  void MarkShared() {
    const size_t n = words.size();
    thread_local HashedSet keys;
    thread_local std::vector<uint32_t> slot_of;
    keys.Reset(n);
    slot_of.assign(n, UINT32_MAX);
    for (size_t k = 0; k < n; ++k) {
      if (byte_prefix[k] + kKeyBytes > concat.size()) continue;
      bool inserted;
      const size_t slot = keys.FindOrInsert(HashBytes(std::string_view(concat).substr(byte_prefix[k], kKeyBytes)),
                                            static_cast<uint32_t>(k), [](uint32_t) { return true; }, &inserted);
      ++keys.count(slot);
      slot_of[k] = static_cast<uint32_t>(slot);
    }
    shared.resize(n);
    for (size_t k = 0; k < n; ++k) shared[k] = slot_of[k] == UINT32_MAX || keys.count(slot_of[k]) > 1;
  }

  uint64_t ConcatHash(size_t i, size_t n) const {
    return cat_prefix[i + n] - cat_prefix[i] * cat_power[i + n] * cat_inverse[i];
  }
  // "".join(words[i:i+n]) == "".join(words[j:j+n]), without joining.
  bool SameConcat(size_t i, size_t j, size_t n) const {
    size_t a = i, b = j, ia = 0, ib = 0;
    const size_t ea = i + n, eb = j + n;
    while (true) {
      while (a < ea && ia == words[a].size()) ++a, ia = 0;
      while (b < eb && ib == words[b].size()) ++b, ib = 0;
      if (a == ea || b == eb) return a == ea && b == eb;
      const size_t take = std::min(words[a].size() - ia, words[b].size() - ib);
      if (words[a].substr(ia, take) != words[b].substr(ib, take)) return false;
      ia += take;
      ib += take;
    }
  }
};

// find_top_duplicate(get_n_grams(words, n)): characters of the most common
// n-gram (joined with spaces) times its count; 0 if there is no n-gram.
// *max_count gets that count.
size_t TopNGramChars(const Words& w, size_t n, uint32_t* max_count) {
  *max_count = 0;
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
  *max_count = best;
  for (size_t i = 0; i < m; ++i) {  // Counter.most_common: the first seen among equals
    if (set.count(slot_of[i]) == best) return (w.Chars(i, n) + (n - 1)) * best;
  }
  return 0;
}

// The longest n-gram joined with spaces, in characters.
size_t LongestNGramChars(const Words& w, size_t n) {
  size_t longest = 0;
  for (size_t i = 0; i + n <= w.words.size(); ++i) longest = std::max(longest, w.Chars(i, n) + (n - 1));
  return longest;
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
    if (!w.shared[i] && w.Bytes(i, n) >= Words::kKeyBytes) {  // equal to no other n-gram
      ++i;
      continue;
    }
    bool inserted;
    set.FindOrInsert(w.ConcatHash(i, n), static_cast<uint32_t>(i),
                     [&](uint32_t j) { return w.SameConcat(j, i, n); }, &inserted);
    if (inserted) {
      ++i;
    } else {
      repeated += w.Chars(i, n);
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
  // An n-gram occurs no more often than its prefix, so a count measured for
  // a smaller n bounds the top count for larger n: when even the longest
  // n-gram that often stays under the threshold, the count is not needed.
  size_t bound_n = 0;
  uint32_t bound_count = 0;
  for (const auto& [n, frac] : c.top_n_grams) {
    const size_t un = static_cast<size_t>(n);
    if (bound_n > 0 && un >= bound_n &&
        static_cast<double>(bound_count) * static_cast<double>(LongestNGramChars(words, un)) / chars <= frac)
      continue;
    uint32_t count;
    if (static_cast<double>(TopNGramChars(words, un, &count)) / chars > frac)
      return Verdict::Drop(fmt::format("top_{}_gram", n));
    if (bound_n == 0 || un >= bound_n) bound_n = un, bound_count = count;
  }
  if (!c.dup_n_grams.empty()) words.MarkShared();
  for (const auto& [n, frac] : c.dup_n_grams) {
    if (static_cast<double>(DuplicatedNGramChars(words, static_cast<size_t>(n))) / chars > frac)
      return Verdict::Drop(fmt::format("duplicated_{}_n_grams", n));
  }
  return Verdict::Keep();
}

}  // namespace seek
