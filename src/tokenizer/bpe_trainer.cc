// tokenizer/bpe_trainer.cc — option checks and step 2 of bpe_trainer.h, the
// incremental merge loop.
//
// State: every distinct word as a run of symbol ids in one flat array (merges
// shrink a word in place), its count, and per pair (left, right) the exact
// weighted count and the words that may hold it (a superset: entries go stale
// when a word loses the pair; duplicates are removed when the list is used).
// A max-heap holds (count, pair) entries that may be stale: a popped entry
// whose count differs from the pair's current count is pushed back with the
// current count. Counts of a pair only fall, except for pairs that gain
// occurrences in a merge step, which get a fresh entry; so the first popped
// entry whose count is current is the true best pair (see the proof sketch
// in docs/tokenizer_training.md). This is the algorithm of HF's BpeTrainer and
// of sentencepiece's BPE trainer.
#include "tokenizer/bpe_trainer.h"

#include <omp.h>

#include <algorithm>
#include <queue>

#include "core/check.h"
#include "core/threads.h"
#include "tokenizer/bpe_trainer_progress.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

uint64_t PairKey(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
int32_t Left(uint64_t key) {
  return static_cast<int32_t>(key >> 32);
}
int32_t Right(uint64_t key) {
  return static_cast<int32_t>(key & 0xFFFFFFFFu);
}

struct PairInfo {
  int64_t count = 0;
  std::vector<int32_t> words;  // may hold stale and repeated word indices
};

struct HeapEntry {
  int64_t count;
  uint64_t key;
  // std::priority_queue pops the largest: the highest count, then the
  // smallest (left, right).
  bool operator<(const HeapEntry& o) const {
    return count != o.count ? count < o.count : key > o.key;
  }
};

struct Change {
  uint64_t key;
  int64_t delta;
  int32_t word;
};

class MergeLoop {
 public:
  MergeLoop(const WordCounts& counts, const BpeTrainerOptions& options, BpeTrainingResult* result)
      : options_(options), result_(result) {
    InitVocab();
    InitWords(counts);
    InitPairs();
  }

  void Run() {
    const int64_t target = options_.vocab_size;
    bpe_internal::ProgressLine progress(options_.progress, "bpe merging", 1, "merges");
    // Merges still possible: one per missing token (more if merges reuse tokens).
    const auto merges_total = [&] {
      return static_cast<int64_t>(result_->merges.size()) + target -
             static_cast<int64_t>(result_->vocab.size());
    };
    const int64_t min_count = std::max<int64_t>(1, options_.min_frequency);
    while (static_cast<int64_t>(result_->vocab.size()) < target && !heap_.empty()) {
      const HeapEntry top = heap_.top();
      heap_.pop();
      const auto it = pairs_.find(top.key);
      if (it == pairs_.end()) continue;  // merged already, or no occurrence left
      const int64_t current = it->second.count;
      if (top.count != current) {  // stale: requeue with the current count
        heap_.push({current, top.key});
        continue;
      }
      if (current < min_count) break;
      std::vector<int32_t> words = std::move(it->second.words);
      pairs_.erase(it);  // every occurrence is merged below
      Merge(top.key, std::move(words));
      progress.Update(static_cast<int64_t>(result_->merges.size()), merges_total());
    }
    progress.Finish(static_cast<int64_t>(result_->merges.size()), merges_total());
    for (size_t w = 0; w < len_.size(); ++w) result_->word_tokens += count_[w] * len_[w];
  }

 private:
  // Special tokens, then the byte-level characters in code point order (which
  // is the byte order of their UTF-8).
  void InitVocab() {
    for (const std::string& s : options_.special_tokens) AddToken(s);
    result_->num_special = static_cast<int32_t>(result_->vocab.size());
    const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
    std::vector<int> bytes(256);
    for (int b = 0; b < 256; ++b) bytes[b] = b;
    std::sort(bytes.begin(), bytes.end(),
              [&](int x, int y) { return alphabet.Encode(x) < alphabet.Encode(y); });
    for (int b : bytes) byte_id_[b] = AddToken(alphabet.Encode(b));
  }

  int32_t AddToken(const std::string& token) {
    const auto [it, added] =
        token_to_id_.emplace(token, static_cast<int32_t>(result_->vocab.size()));
    if (added) result_->vocab.push_back(token);
    return it->second;
  }

  // Words sorted by their bytes, so that the layout (not the result) is the
  // same for every hash map order.
  void InitWords(const WordCounts& counts) {
    std::vector<std::pair<std::string_view, int64_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end());
    size_t total = 0;
    for (const auto& [word, c] : sorted) total += word.size();
    symbols_.reserve(total);
    for (const auto& [word, c] : sorted) {
      begin_.push_back(static_cast<int64_t>(symbols_.size()));
      len_.push_back(static_cast<int32_t>(word.size()));
      count_.push_back(c);
      for (char ch : word) symbols_.push_back(byte_id_[static_cast<uint8_t>(ch)]);
      result_->word_bytes += c * static_cast<int64_t>(word.size());
    }
    result_->unique_words = static_cast<int64_t>(sorted.size());
  }

  void InitPairs() {
    for (size_t w = 0; w < len_.size(); ++w) {
      const int32_t* s = &symbols_[begin_[w]];
      for (int32_t i = 0; i + 1 < len_[w]; ++i) {
        PairInfo& p = pairs_[PairKey(s[i], s[i + 1])];
        p.count += count_[w];
        if (p.words.empty() || p.words.back() != static_cast<int32_t>(w))
          p.words.push_back(static_cast<int32_t>(w));
      }
    }
    std::vector<HeapEntry> entries;
    entries.reserve(pairs_.size());
    for (const auto& [key, p] : pairs_) entries.push_back({p.count, key});
    heap_ = std::priority_queue<HeapEntry>(std::less<HeapEntry>(), std::move(entries));
  }

  // Merges (a, b) -> z left to right in word w, in place, appending the pair
  // count changes (the merged pair itself excluded).
  void MergeWord(int32_t w, int32_t a, int32_t b, int32_t z, std::vector<Change>* changes) {
    int32_t* s = &symbols_[begin_[w]];
    const int32_t n = len_[w];
    const int64_t c = count_[w];
    int32_t out = 0;
    for (int32_t i = 0; i < n;) {
      if (i + 1 < n && s[i] == a && s[i + 1] == b) {
        if (out > 0) {
          changes->push_back({PairKey(s[out - 1], a), -c, w});
          changes->push_back({PairKey(s[out - 1], z), c, w});
        }
        if (i + 2 < n) {
          changes->push_back({PairKey(b, s[i + 2]), -c, w});
          changes->push_back({PairKey(z, s[i + 2]), c, w});
        }
        s[out++] = z;
        i += 2;
      } else {
        s[out++] = s[i++];
      }
    }
    len_[w] = out;
  }

  void Merge(uint64_t key, std::vector<int32_t> words) {
    const int32_t a = Left(key), b = Right(key);
    const int32_t z = AddToken(result_->vocab[a] + result_->vocab[b]);
    result_->merges.emplace_back(a, b);
    result_->merge_results.push_back(z);

    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    const int threads =
        words.size() < 4096 ? 1 : (options_.threads > 0 ? options_.threads : NumThreads());
    std::vector<std::vector<Change>> changes(threads);
    if (threads == 1) {
      for (int32_t w : words) MergeWord(w, a, b, z, &changes[0]);
    } else {
#pragma omp parallel num_threads(threads)
      {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const size_t lo = words.size() * t / nt, hi = words.size() * (t + 1) / nt;
        for (size_t i = lo; i < hi; ++i) MergeWord(words[i], a, b, z, &changes[t]);
      }
    }
    touched_.clear();
    grown_.clear();
    for (const std::vector<Change>& part : changes) {
      for (const Change& ch : part) {
        if (ch.key == key) continue;
        PairInfo& p = pairs_[ch.key];
        p.count += ch.delta;
        touched_.push_back(ch.key);
        if (ch.delta > 0) {
          if (p.words.empty() || p.words.back() != ch.word) p.words.push_back(ch.word);
          grown_.push_back(ch.key);
        }
      }
    }
    for (uint64_t k : touched_) {
      const auto it = pairs_.find(k);
      if (it == pairs_.end()) continue;
      CHECK(it->second.count >= 0);
      if (it->second.count == 0) pairs_.erase(it);
    }
    std::sort(grown_.begin(), grown_.end());
    grown_.erase(std::unique(grown_.begin(), grown_.end()), grown_.end());
    for (uint64_t k : grown_) {
      const auto it = pairs_.find(k);
      if (it != pairs_.end()) heap_.push({it->second.count, k});
    }
  }

  const BpeTrainerOptions& options_;
  BpeTrainingResult* result_;
  std::unordered_map<std::string, int32_t> token_to_id_;
  int32_t byte_id_[256] = {};
  std::vector<int32_t> symbols_;  // all words' symbols; word w at [begin_[w], begin_[w] + len_[w])
  std::vector<int64_t> begin_;    // [words]
  std::vector<int32_t> len_;      // [words]
  std::vector<int64_t> count_;    // [words]
  std::unordered_map<uint64_t, PairInfo> pairs_;
  std::priority_queue<HeapEntry> heap_;
  std::vector<uint64_t> touched_, grown_;  // scratch of Merge
};

}  // namespace

Status ValidateBpeTrainerOptions(const BpeTrainerOptions& o) {
  const int64_t specials = static_cast<int64_t>(o.special_tokens.size());
  const int64_t min_vocab = 256 + specials;
  constexpr int64_t kMaxVocab = int64_t{1} << 31;
  if (o.vocab_size < min_vocab)
    return InvalidArgumentError(
        "--vocab-size {} is smaller than the 256 byte tokens + {} special tokens; use at "
        "least {}",
        o.vocab_size, specials, min_vocab);
  if (o.vocab_size > kMaxVocab)
    return InvalidArgumentError("--vocab-size {} is larger than 2^31 = {} (token ids are int32)",
                                o.vocab_size, kMaxVocab);
  if (o.min_frequency < 0)
    return InvalidArgumentError("--min-frequency {} is negative; use 0 or more", o.min_frequency);
  if (o.threads < 0)
    return InvalidArgumentError("--threads {} is negative; use 0 (all cores) or more", o.threads);
  if (o.read_block_bytes < 1)
    return InvalidArgumentError("read_block_bytes {} must be positive", o.read_block_bytes);
  if (o.model_max_length <= 0)
    return InvalidArgumentError("--model-max-length {} must be positive", o.model_max_length);
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  for (size_t i = 0; i < o.special_tokens.size(); ++i) {
    const std::string& s = o.special_tokens[i];
    if (s.empty())
      return InvalidArgumentError("--special-tokens: token {} is empty; use non-empty strings",
                                  i + 1);
    if (!IsValidUtf8(s))
      return InvalidArgumentError("--special-tokens: token {} is not valid UTF-8", i + 1);
    for (size_t j = 0; j < i; ++j)
      if (o.special_tokens[j] == s)
        return InvalidArgumentError(
            "--special-tokens: {:?} is given twice; each token must be distinct", s);
    for (int b = 0; b < 256; ++b)
      if (alphabet.Encode(static_cast<uint8_t>(b)) == s)
        return InvalidArgumentError(
            "--special-tokens: {:?} is a byte-level character (a base token); use a "
            "longer string such as <|name|>",
            s);
  }
  auto regex = Regex::Compile(o.split_regex, "--regex");
  if (!regex.ok()) return regex.status();
  return Status::Ok();
}

StatusOr<BpeTrainingResult> TrainBpeFromCounts(const WordCounts& words,
                                               const BpeTrainerOptions& options) {
  RETURN_IF_ERROR(ValidateBpeTrainerOptions(options));
  if (words.empty())
    return InvalidArgumentError("the training text holds no words (empty corpus?)");
  BpeTrainingResult result;
  bpe_internal::ProgressLine clock(false, "", 1, "");
  MergeLoop loop(words, options, &result);
  loop.Run();
  result.merge_seconds = clock.Seconds();
  return result;
}

StatusOr<BpeTrainingResult> TrainBpe(const BpeTrainerOptions& options) {
  bpe_internal::ProgressLine clock(false, "", 1, "");
  WordCountStats stats;
  ASSIGN_OR_RETURN(WordCounts words, CountWords(options, &stats));
  const double count_seconds = clock.Seconds();
  if (words.empty())
    return InvalidArgumentError(
        "--input: the {} input file(s) hold no text to learn from ({} bytes, {} lines)",
        options.inputs.size(), stats.bytes, stats.lines);
  ASSIGN_OR_RETURN(BpeTrainingResult result, TrainBpeFromCounts(words, options));
  result.count_seconds = count_seconds;
  result.count_stats = stats;
  return result;
}

}  // namespace seek
