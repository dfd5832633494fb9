// tokenizer/bpe_trainer.h — trains a byte-level BPE tokenizer from UTF-8
// text, as Hugging Face tokenizers' BpeTrainer does with a Split + ByteLevel
// pre-tokenizer (the Llama 3 layout), and writes tokenizer.json and
// tokenizer_config.json that Seek's Tokenizer and the reference libraries load.
//
// Steps (docs/tokenizer_training.md has the details):
//   1. CountWords: every input line (with its line ending) is cut at the
//      special tokens, which are not learnt; each remaining piece is split by
//      the regex into words (matches and the text between them, as Split
//      "Isolated" does) and the words are counted. Parallel over blocks of
//      lines (OpenMP); the counts do not depend on the thread count.
//   2. TrainBpeFromCounts: ids 0..S-1 are the special tokens, then the 256
//      byte-level characters sorted by code point (HF: ByteLevel.alphabet()
//      as initial alphabet). Every word starts as one symbol per byte. The
//      merge loop keeps exact pair counts, a pair -> words index and a lazy
//      max-heap, and repeatedly merges the pair with the highest count;
//      ties go to the smallest (left id, right id) — the order of HF's
//      BpeTrainer. A merge is applied left to right, non-overlapping, in every
//      word holding the pair. The loop stops when the vocabulary has
//      vocab_size tokens, no pair is left, or the best count is below
//      min_frequency. A merge whose string already is a token reuses its id
//      (the vocabulary then grows by fewer than one token per merge).
//   3. WriteTrainedTokenizer: tokenizer.json + tokenizer_config.json,
//      each written atomically.
//
// Thread-safety: free functions with no shared state; each call may use up
// to `threads` OpenMP threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"

namespace seek {

// The pre-tokenizer split pattern of Llama 3's tokenizer.json (GPT-4 style:
// contractions, letters with one leading non-letter, 1-3 digit groups,
// punctuation runs, newlines, other whitespace).
inline constexpr const char* kLlama3SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct BpeTrainerOptions {
  std::vector<std::string> inputs;  // UTF-8 text files; ill-formed bytes become U+FFFD
  // Final vocabulary size, special tokens and the 256 byte characters
  // included: 256 + special_tokens.size() <= vocab_size <= 2^31.
  int64_t vocab_size = 8192;
  // A pair is merged only if it occurs at least this often (weighted by word
  // counts); 0 and 1 both mean "any pair that occurs".
  int64_t min_frequency = 2;
  // Ids 0.. in this order; must be distinct, non-empty and valid UTF-8.
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
  std::string split_regex = kLlama3SplitPattern;  // stored in tokenizer.json
  int threads = 0;                                // 0: all OpenMP threads
  bool progress = true;                           // progress lines on stderr
  int64_t model_max_length = 8192;                // tokenizer_config.json
  // Files are read in blocks of whole lines of about this size (a longer
  // line grows the block); the counts do not depend on it.
  int64_t read_block_bytes = int64_t{32} << 20;
};

// Checks every option that does not need the input files (vocab range,
// special tokens, regex compiles, min_frequency >= 0, threads >= 0);
// messages name the value and what is valid.
Status ValidateBpeTrainerOptions(const BpeTrainerOptions& options);

// Word (pre-token) -> occurrences; the key is the word's raw UTF-8 bytes.
struct WordHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using WordCounts = std::unordered_map<std::string, int64_t, WordHash, std::equal_to<>>;

struct WordCountStats {
  int64_t bytes = 0;           // input bytes read
  int64_t lines = 0;           // input lines
  int64_t special_tokens = 0;  // special-token occurrences cut out of the text
};

// Step 1 over options.inputs (files). Fails with NotFound/IoError naming a
// file that cannot be read, InvalidArgument if the options are invalid.
StatusOr<WordCounts> CountWords(const BpeTrainerOptions& options, WordCountStats* stats = nullptr);
// Step 1 over one in-memory text (the same rules as a file holding it).
StatusOr<WordCounts> CountWordsInText(std::string_view text, const BpeTrainerOptions& options,
                                      WordCountStats* stats = nullptr);

struct BpeTrainingResult {
  // id -> token: special tokens as written, model tokens in the byte-level
  // alphabet (tokenizer.json spelling).
  std::vector<std::string> vocab;
  int32_t num_special = 0;  // ids [0, num_special) are the special tokens
  // Merges in rank order as (left id, right id); merge_results[i] is the id
  // of the merged token.
  std::vector<std::pair<int32_t, int32_t>> merges;
  std::vector<int32_t> merge_results;
  // The training words after all merges: sum of count * bytes and of
  // count * symbols (for bytes per token on the training data).
  int64_t word_bytes = 0, word_tokens = 0;
  int64_t unique_words = 0;
  double count_seconds = 0, merge_seconds = 0;
  WordCountStats count_stats;
};

// Step 2. Fails (InvalidArgument) only on invalid options or an empty `words`.
StatusOr<BpeTrainingResult> TrainBpeFromCounts(const WordCounts& words,
                                               const BpeTrainerOptions& options);
// Steps 1 and 2; also fails (InvalidArgument) if the inputs hold no words.
StatusOr<BpeTrainingResult> TrainBpe(const BpeTrainerOptions& options);

// Step 3. The two JSON documents, and writing them to `dir` (created if
// missing) as tokenizer.json and tokenizer_config.json.
nlohmann::ordered_json TrainedTokenizerJson(const BpeTrainingResult& result,
                                            const BpeTrainerOptions& options);
nlohmann::ordered_json TrainedTokenizerConfigJson(const BpeTrainingResult& result,
                                                  const BpeTrainerOptions& options);
Status WriteTrainedTokenizer(const BpeTrainingResult& result, const BpeTrainerOptions& options,
                             const std::string& dir);

}  // namespace seek
