// `seek tokenizer train --input FILES... --vocab-size N --out DIR`: trains a
// byte-level BPE tokenizer (tokenizer/bpe_trainer.h) and writes
// DIR/tokenizer.json and DIR/tokenizer_config.json.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "tokenizer/bpe_trainer.h"

namespace seek::cli {
namespace {

struct TrainFlags {
  BpeTrainerOptions options;
  std::string out;
  bool quiet = false;
  bool no_specials = false;
};

int RunTrain(TrainFlags f) {
  f.options.progress = !f.quiet;
  if (f.no_specials) f.options.special_tokens.clear();
  const char* kCommand = "tokenizer train";
  if (Status s = ValidateBpeTrainerOptions(f.options); !s.ok()) return Fail(kCommand, s);
  const auto start = std::chrono::steady_clock::now();
  StatusOr<BpeTrainingResult> r = TrainBpe(f.options);
  if (!r.ok()) return Fail(kCommand, r.status());
  if (Status s = WriteTrainedTokenizer(*r, f.options, f.out); !s.ok()) return Fail(kCommand, s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "trained %s/tokenizer.json: vocab %zu (%d special, 256 bytes, %zu merges%s), %.1f MB in %lld "
      "lines, "
      "%lld distinct words\n",
      f.out.c_str(), r->vocab.size(), r->num_special, r->merges.size(),
      static_cast<int64_t>(r->vocab.size()) < f.options.vocab_size
          ? "; no pair left above --min-frequency"
          : "",
      r->count_stats.bytes / 1e6, static_cast<long long>(r->count_stats.lines),
      static_cast<long long>(r->unique_words));
  std::printf(
      "time %.2fs (counting %.2fs at %.1f MB/s, merging %.2fs, then writing); %.3f bytes/token on "
      "the training data\n",
      seconds, r->count_seconds, r->count_stats.bytes / 1e6 / std::max(r->count_seconds, 1e-9),
      r->merge_seconds,
      r->word_tokens > 0 ? static_cast<double>(r->word_bytes) / r->word_tokens : 0.0);
  return 0;
}

}  // namespace

void AddTokenizerTrainCommand(CLI::App& tokenizer, Action* run) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* c =
      tokenizer.add_subcommand("train", "Train a byte-level BPE tokenizer on UTF-8 text files");
  BpeTrainerOptions& o = f->options;
  c->add_option("--input", o.inputs, "UTF-8 text files (one or more)")->required()->expected(1, -1);
  c->add_option("--vocab-size", o.vocab_size,
                "vocabulary size, specials and 256 byte tokens included")
      ->required();
  c->add_option("--out", f->out, "directory for tokenizer.json and tokenizer_config.json")
      ->required();
  c->add_option("--min-frequency", o.min_frequency, "merge only pairs seen at least this often")
      ->capture_default_str();
  c->add_option("--special-tokens", o.special_tokens, "special tokens, ids 0.. in this order")
      ->capture_default_str()
      ->expected(1, -1);
  c->add_flag("--no-special-tokens", f->no_specials, "train without special tokens");
  c->add_option("--regex", o.split_regex, "pre-tokenizer split regex (default: Llama 3's)");
  c->add_option("--threads", o.threads, "threads (0: all cores)")->capture_default_str();
  c->add_option("--model-max-length", o.model_max_length,
                "model_max_length in tokenizer_config.json")
      ->capture_default_str();
  c->add_flag("--quiet", f->quiet, "no progress lines on stderr");
  c->callback([f, run] { *run = [f] { return RunTrain(*f); }; });
}

}  // namespace seek::cli
