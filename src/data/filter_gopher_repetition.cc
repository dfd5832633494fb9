// data/filter_gopher_repetition.cc — see filter_gopher_repetition.h.
#include "data/filter_gopher_repetition.h"

#include <fmt/format.h>
#define XXH_INLINE_ALL  // XXH3 inlined into the n-gram loops (the values are XXH3_64bits')
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "data/py_text.h"
#include "data/stage_config.h"
#include "data/text_duplicates.h"
#include "data/word_splitter.h"

namespace seek {
namespace {

// HashBytes (XXH3), inlined: the hashes here never leave this file.
inline uint64_t FastHash(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

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

// An open-addressing set of item indices keyed by 64-bit hashes (the
// caller's equality decides between equal hashes) that grows with what it
// holds, not with the document: where most items are never inserted (word
// ids, n-grams that may repeat) it stays small enough for the cache, where
// a table sized for every word of a long document would miss it on nearly
// every insert. Each item carries a 32-bit value.
class GrowingSet {
 public:
  // expected: a guess at the number of items (the set grows past it).
  void Reset(size_t expected) {
    int bits = 8;
    while ((size_t{1} << bits) < 2 * expected && bits < 30) ++bits;
    slots_.assign(size_t{1} << bits, Slot{0, kEmpty, 0});
    mask_ = slots_.size() - 1;
    shift_ = 64 - bits;
    size_ = 0;
  }
  uint32_t size() const { return size_; }
  // Brings the home slot of `hash` toward the cache ahead of its probe.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[Home(hash)]); }
  // The value of the item equal to `index` (eq(stored_index)); when there is
  // none, inserts `index` with `value` and returns it, *inserted = true.
  template <typename Eq>
  uint32_t FindOrInsert(uint64_t hash, uint32_t index, uint32_t value, Eq&& eq, bool* inserted) {
    size_t slot = Home(hash);
    for (;; slot = (slot + 1) & mask_) {
      const Slot& e = slots_[slot];
      if (e.index == kEmpty) break;
      if (e.hash == hash && eq(e.index)) {
        *inserted = false;
        return e.value;
      }
    }
    slots_[slot] = {hash, index, value};
    *inserted = true;
    if (++size_ * 2 > slots_.size()) Grow();
    return value;
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;  // no index is: documents have < 2^32 words
  struct Slot {  // 16 bytes: four to a cache line
    uint64_t hash;
    uint32_t index, value;
  };
  size_t Home(uint64_t hash) const { return (hash * 0x9E3779B97F4A7C15ull) >> shift_; }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{0, kEmpty, 0});
    mask_ = slots_.size() - 1;
    --shift_;
    for (const Slot& e : old) {
      if (e.index == kEmpty) continue;
      size_t slot = Home(e.hash);
      while (slots_[slot].index != kEmpty) slot = (slot + 1) & mask_;
      slots_[slot] = e;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
  uint32_t size_ = 0;
};

// Words of a document with what the n-gram rules need, built once in one
// pass: dense word ids (equal words, equal ids: the top n-grams' identity
// is the word sequence), and the words concatenated without spaces
// (datatrove's identity for duplicated n-grams), where an n-gram's
// concatenation is one slice to hash and compare.
struct Words {
  std::span<const std::string_view> words;  // the split's words
  std::vector<uint32_t> ids;         // [W] word k's id: the order of its first occurrence
  std::vector<uint32_t> by_id;       // [W] word positions sorted by id, ascending within an id
  std::vector<uint32_t> id_start;    // [ids+1] id's positions are by_id[id_start[id], id_start[id+1])
  GrowingSet vocab;                  // value: the word's id
  std::vector<uint64_t> keys;        // [W] word k's vocabulary key (see Build)
  std::vector<size_t> cp_prefix;     // [W+1] code points before word k
  std::string concat;                // the words joined without spaces: its first byte_prefix[W] bytes
  static constexpr size_t kSlack = 16;
  std::vector<size_t> byte_prefix;   // [W+1] bytes of concat before word k
  std::vector<char> shared;          // [W] see MarkShared

  // w: the words of `text`, views into it.
  void Build(const std::vector<std::string_view>& w, std::string_view text) {
    words = w;  // a view: the split outlives this document's checks
    const size_t n = w.size();
    cp_prefix.resize(n + 1);
    ids.resize(n);
    keys.resize(n);
    vocab.Reset(n / 4);
    // concat holds at most the text's bytes, plus slack for the fixed-size
    // copies below; it only grows (this Words is reused document after document).
    if (concat.size() < text.size() + kSlack) concat.resize(text.size() + kSlack);
    char* out = concat.data();
    const char* text_end = text.data() + text.size();
    byte_prefix.resize(n + 1);
    byte_prefix[0] = 0;
    cp_prefix[0] = 0;
    size_t bytes = 0;
    for (size_t k = 0; k < n; ++k) {
      // Words of up to 7 bytes are their own key: the bytes, the length and
      // the top bit set, so that no other word's key equals it and it needs
      // no text comparison. Longer ones: their hash with the top bit clear.
      const size_t size = w[k].size();
      const char* p = w[k].data();
      const bool short_word = size <= 7;
      const bool room = p + 8 <= text_end;  // 8 bytes may be read from p
      uint64_t head = 0;                    // the word's first min(size, 8) bytes, little-endian
      if (room) {
        std::memcpy(&head, p, 8);
        if (size < 8) head &= (uint64_t{1} << (8 * size)) - 1;
      } else {
        std::memcpy(&head, p, std::min<size_t>(size, 8));
      }
      bool ascii = (head & 0x8080808080808080ull) == 0;
      for (size_t j = 8; j < size && ascii; ++j) ascii = static_cast<uint8_t>(p[j]) < 0x80;
      const uint64_t key =
          short_word ? head | uint64_t{size} << 56 | uint64_t{1} << 63 : FastHash(w[k]) & ~(uint64_t{1} << 63);
      cp_prefix[k + 1] = cp_prefix[k] + (ascii ? size : CountCodePoints(w[k]));
      if (size <= 16 && p + 16 <= text_end) std::memcpy(out + bytes, p, 16);  // slack takes the overrun
      else std::memcpy(out + bytes, p, size);
      bytes += size;
      byte_prefix[k + 1] = bytes;
      keys[k] = key;
    }
    // The ids, each probe's slot fetched a few words ahead (the vocabulary
    // table of a long document is larger than the L1 cache).
    constexpr size_t kAhead = 8;
    for (size_t k = 0; k < n; ++k) {
      if (k + kAhead < n) vocab.Prefetch(keys[k + kAhead]);
      const bool short_word = keys[k] >> 63;
      bool inserted;
      ids[k] = vocab.FindOrInsert(keys[k], static_cast<uint32_t>(k), vocab.size(),
                                  [&](uint32_t j) { return short_word || w[j] == w[k]; }, &inserted);
    }
    // Counting sort of the positions by id.
    const uint32_t n_ids = vocab.size();
    id_start.assign(n_ids + 1, 0);
    for (size_t k = 0; k < n; ++k) ++id_start[ids[k] + 1];
    for (uint32_t id = 0; id < n_ids; ++id) id_start[id + 1] += id_start[id];
    by_id.resize(n);
    thread_local std::vector<uint32_t> next;
    next.assign(id_start.begin(), id_start.end() - 1);
    for (size_t k = 0; k < n; ++k) by_id[next[ids[k]]++] = static_cast<uint32_t>(k);
  }
  size_t Chars(size_t i, size_t n) const { return cp_prefix[i + n] - cp_prefix[i]; }
  size_t Bytes(size_t i, size_t n) const { return byte_prefix[i + n] - byte_prefix[i]; }
  // "".join(words[i:i+n]): a slice of concat.
  std::string_view Concat(size_t i, size_t n) const {
    return std::string_view(concat).substr(byte_prefix[i], Bytes(i, n));
  }

  // Two n-grams with equal concatenations of at least kKeyBytes bytes start
  // with the same kKeyBytes bytes of `concat`. shared[k] is 0 when the
  // kKeyBytes bytes from word k's start occur at no other word start (1 if
  // they might: hashes that collide only mark more words shared), so an
  // n-gram from word k at least that long equals no other n-gram. The keys'
  // hashes go to two bit tables ("seen", "seen again") of 8 slots per word:
  // 2 bits a slot, small enough to stay in cache where a hash table of the
  // keys would miss it on nearly every word of a long document.
  static constexpr size_t kKeyBytes = 16;
  void MarkShared() {
    const size_t n = words.size();
    thread_local std::vector<uint64_t> bits;  // [2 * slots / 64]: seen, seen again, interleaved by word
    thread_local std::vector<uint32_t> slot_of;
    int slot_bits = 7;
    while ((size_t{1} << slot_bits) < 8 * n) ++slot_bits;
    bits.assign(2 * ((size_t{1} << slot_bits) / 64), 0);
    slot_of.assign(n, UINT32_MAX);
    for (size_t k = 0; k < n; ++k) {
      if (byte_prefix[k] + kKeyBytes > byte_prefix[n]) continue;
      uint64_t lo, hi;  // the key's two halves, mixed by multiplies (a collision only marks more words shared)
      std::memcpy(&lo, concat.data() + byte_prefix[k], 8);
      std::memcpy(&hi, concat.data() + byte_prefix[k] + 8, 8);
      uint64_t h = lo * 0x9E3779B97F4A7C15ull ^ hi * 0xC2B2AE3D27D4EB4Full;
      h ^= h >> 31;
      const auto slot = static_cast<uint32_t>((h * 0x9E3779B97F4A7C15ull) >> (64 - slot_bits));
      slot_of[k] = slot;
      uint64_t* pair = &bits[2 * (slot >> 6)];
      const uint64_t bit = uint64_t{1} << (slot & 63);
      pair[1] |= pair[0] & bit;
      pair[0] |= bit;
    }
    shared.resize(n);
    for (size_t k = 0; k < n; ++k)
      shared[k] = slot_of[k] == UINT32_MAX || (bits[2 * (slot_of[k] >> 6) + 1] >> (slot_of[k] & 63) & 1);
  }

};

// The longest n-gram joined with spaces, in characters.
size_t LongestNGramChars(const Words& w, size_t n) {
  size_t longest = 0;
  for (size_t i = 0; i + n <= w.words.size(); ++i) longest = std::max(longest, w.Chars(i, n) + (n - 1));
  return longest;
}

// find_top_duplicate(get_n_grams(words, n)) / len(text) > frac: whether
// the most common n-gram (ties: the one seen first), its characters joined
// with spaces times its count, passes frac of the text's `chars`.
//
// Best-first over groups of positions that share their first `level` words
// (level 1: the positions of one word id), largest group first: a group's
// size bounds the count of every n-gram starting with its words, so the
// first n-word group taken has the top count, and groups smaller than it
// need not be split. Splitting a group by its next word touches only its
// own positions, where one hash table over all n-grams would miss the
// cache on nearly every n-gram of a long document. While no n-gram has
// been reached, a largest group that cannot pass frac even with the longest
// n-gram ends the search: the rule cannot fire.
bool TopNGramPasses(const Words& w, size_t n, double chars, double frac) {
  const size_t total = w.words.size();
  if (n == 0 || total < n) return false;  // no n-gram: find_top_duplicate gives 0
  const size_t longest = LongestNGramChars(w, n);
  struct Group {
    uint32_t size, level, offset;  // positions [offset, offset + size) of w.by_id (level 1) or pool, ascending
    bool operator<(const Group& o) const { return size < o.size; }
  };
  // A group too small to pass frac even with the longest n-gram is left out:
  // if the top n-gram's count were that small, the rule would not fire; if
  // not, that group cannot reach the top count.
  const auto can_pass_exact = [&](size_t size) { return static_cast<double>(size * longest) / chars > frac; };
  // can_pass_exact is monotone in size: the smallest size that passes, from
  // a guess corrected by the exact test.
  if (!can_pass_exact(total)) return false;  // no group holds more than every position
  const double guess = frac * chars / static_cast<double>(std::max<size_t>(longest, 1));
  size_t min_pass = guess >= 0 ? static_cast<size_t>(std::min(guess, static_cast<double>(total))) : 0;
  while (min_pass > 0 && can_pass_exact(min_pass - 1)) --min_pass;
  while (!can_pass_exact(min_pass)) ++min_pass;
  const auto can_pass = [&](uint32_t size) { return size >= min_pass; };
  thread_local std::vector<uint32_t> pool;  // positions of the groups past level 1
  thread_local std::vector<Group> heap;
  thread_local std::vector<uint32_t> child_of, child_size;
  // Per word id (ids are dense): the split that last saw it (a generation
  // stamp, so that no split clears the arrays) and its child there.
  thread_local std::vector<uint32_t> id_generation, id_child;
  thread_local uint32_t generation = 0;
  const size_t n_ids = w.id_start.size() - 1;
  if (id_generation.size() < n_ids) {  // new entries 0: no generation in use is 0
    id_generation.resize(n_ids, 0);
    id_child.resize(n_ids);
  }
  pool.clear();
  heap.clear();
  for (size_t id = 0; id + 1 < w.id_start.size(); ++id)  // level 1: positions in w.by_id
    if (can_pass(w.id_start[id + 1] - w.id_start[id]))
      heap.push_back({w.id_start[id + 1] - w.id_start[id], 1, w.id_start[id]});
  std::make_heap(heap.begin(), heap.end());
  const auto position = [&](const Group& g, uint32_t k) {
    return g.level == 1 ? w.by_id[g.offset + k] : pool[g.offset + k];
  };
  uint32_t best = 0, best_first = UINT32_MAX;
  while (!heap.empty()) {
    const Group g = heap.front();
    if (g.size < best) break;  // no n-gram left can reach the top count
    std::pop_heap(heap.begin(), heap.end());
    heap.pop_back();
    if (g.level == n) {  // one n-gram, g.size its count (>= best, so == best once best is set)
      best = g.size;
      best_first = std::min(best_first, position(g, 0));
      continue;
    }
    // Split by word `level` of the n-gram; positions too close to the end
    // drop out. Children are numbered in order of first appearance.
    const uint32_t level = g.level;
    if (++generation == 0) {  // wrapped: forget every stamp
      std::fill(id_generation.begin(), id_generation.end(), 0);
      generation = 1;
    }
    child_of.resize(g.size);
    child_size.clear();
    for (uint32_t k = 0; k < g.size; ++k) {
      const uint32_t p = position(g, k);
      if (p + n > total) {
        child_of[k] = UINT32_MAX;
        continue;
      }
      const uint32_t id = w.ids[p + level];
      if (id_generation[id] != generation) {  // the first position of this child
        id_generation[id] = generation;
        id_child[id] = static_cast<uint32_t>(child_size.size());
        child_size.push_back(0);
      }
      child_of[k] = id_child[id];
      ++child_size[child_of[k]];
    }
    // The children's positions go to the end of the pool, in order.
    const uint32_t base = static_cast<uint32_t>(pool.size());
    uint32_t offset = base;
    for (uint32_t& c : child_size) {
      const uint32_t size = c;
      c = offset;  // now the child's next free place
      if (size >= best && can_pass(size)) {
        heap.push_back({size, level + 1, offset});
        std::push_heap(heap.begin(), heap.end());
      }
      offset += size;
    }
    pool.resize(offset);
    for (uint32_t k = 0; k < g.size; ++k)
      if (child_of[k] != UINT32_MAX) pool[child_size[child_of[k]]++] = position(g, k);
  }
  if (best == 0) return false;
  return static_cast<double>((w.Chars(best_first, n) + (n - 1)) * best) / chars > frac;
}

// The candidate n-grams of one document (see DuplicatedNGramsPass) for the
// last n asked; those of a larger n are among them.
struct NGramCandidates {
  std::vector<uint32_t> starts;  // ascending
  size_t n = 0;                  // 0: none gathered yet for this document
};

// find_all_duplicate(words, n) / len(text) > frac. An n-gram that is no
// candidate (not shared, at least kKeyBytes long) equals no other n-gram:
// the walk steps over it without remembering it (it can never be seen
// again), so only the candidates, gathered first, are hashed, and the set
// is sized once for them. The count only grows, so the walk stops as soon
// as it passes frac. *cand: the candidates of this document for an earlier
// n; a candidate for n is one for every smaller n (shared[] does not depend
// on n, an n-gram's bytes grow with n), so for a larger n they are filtered
// instead of gathered again.
bool DuplicatedNGramsPass(const Words& w, size_t n, double chars, double frac, NGramCandidates* cand) {
  const size_t total = w.words.size();
  const auto passes = [&](size_t repeated) { return static_cast<double>(repeated) / chars > frac; };
  if (total < n) return passes(0);
  const size_t m = total - n + 1;
  const auto is_candidate = [&](size_t i) { return (w.shared[i] | (w.Bytes(i, n) < Words::kKeyBytes)) != 0; };
  std::vector<uint32_t>& candidates = cand->starts;
  size_t n_candidates = 0;
  if (cand->n != 0 && cand->n <= n) {
    for (const uint32_t i : candidates) {  // in place: n_candidates never passes the read position
      candidates[n_candidates] = i;
      n_candidates += i < m && is_candidate(i);
    }
  } else {
    candidates.resize(m);
    for (size_t i = 0; i < m; ++i) {  // branch-free: most words are no candidate
      candidates[n_candidates] = static_cast<uint32_t>(i);
      n_candidates += is_candidate(i);
    }
  }
  candidates.resize(n_candidates);
  cand->n = n;
  thread_local GrowingSet set;
  set.Reset(n_candidates);
  // The hashes first, so that each probe's slot can be fetched a few
  // candidates ahead (the table is larger than the L1 cache on long documents).
  thread_local std::vector<uint64_t> hashes;
  hashes.resize(n_candidates);
  for (size_t c = 0; c < n_candidates; ++c) hashes[c] = FastHash(w.Concat(candidates[c], n));
  constexpr size_t kAhead = 8;
  size_t repeated = 0, next = 0;  // next: where the walk goes on; candidates before it were skipped
  for (size_t c = 0; c < n_candidates; ++c) {
    if (c + kAhead < n_candidates) set.Prefetch(hashes[c + kAhead]);
    const uint32_t i = candidates[c];
    if (i < next) continue;
    bool inserted;
    const std::string_view gram = w.Concat(i, n);
    set.FindOrInsert(hashes[c], i, 0, [&](uint32_t j) { return w.Concat(j, n) == gram; }, &inserted);
    if (inserted) {
      next = i + 1;
    } else {
      repeated += w.Chars(i, n);
      next = i + n;
      if (passes(repeated)) return true;
    }
  }
  return passes(repeated);
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
  words.Build(split.words, text);
  for (const auto& [n, frac] : c.top_n_grams)
    if (TopNGramPasses(words, static_cast<size_t>(n), chars, frac)) return Verdict::Drop(fmt::format("top_{}_gram", n));
  if (!c.dup_n_grams.empty()) words.MarkShared();
  thread_local NGramCandidates candidates;
  candidates.n = 0;
  for (const auto& [n, frac] : c.dup_n_grams)
    if (DuplicatedNGramsPass(words, static_cast<size_t>(n), chars, frac, &candidates))
      return Verdict::Drop(fmt::format("duplicated_{}_n_grams", n));
  return Verdict::Keep();
}

}  // namespace seek
