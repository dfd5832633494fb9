// data/text_shards.h — token shards from plain text (docs/formats/shard.md).
//
// Each input file is cut into documents (groups of `doc_lines` lines, or
// paragraphs separated by blank lines when doc_lines is 0; whitespace-only
// documents are dropped), every document is encoded and followed by the
// end-of-text id, and documents are written in input order to
// OUT/shard_00000.bin, ... holding about `shard_tokens` tokens each.
//
// Two vocabularies share that path and differ only in the encoder:
//   - bytes (no `tokenizer`): ids 0-255 are the bytes, 256 ends a document,
//     vocab_size 257; a stale OUT/tokenizer.json is removed;
//   - a Hugging Face tokenizer.json (`tokenizer`): Encode(document, no
//     special tokens) on `threads` threads, then the end-of-text id (see
//     LoadTokenizerBundle for how it is chosen); vocab_size is the
//     tokenizer's; OUT/tokenizer.json and OUT/tokenizer_config.json record
//     the tokenizer (the trainer reads them from there).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace seek {

struct TextShardOptions {
  std::vector<std::string> inputs;
  std::string out_dir;
  int64_t doc_lines = 32;
  // "lines": documents cut by doc_lines as above; "jsonl": one document per
  // line, the string `text_field` of its JSON object (`seek data run` output),
  // read by the pipeline's reader (data/readers.h: .zst is decompressed, a bad
  // line is an error naming the file and line).
  std::string format = "lines";
  std::string text_field = "text";
  int64_t shard_tokens = 50'000'000;
  std::string tokenizer;   // tokenizer.json or a folder with one; empty: bytes
  std::string eot_token;   // overrides the end-of-text token of `tokenizer`
  int threads = 0;         // encoding threads (0: all cores)
  int64_t batch_bytes = 1 << 20;  // text encoded per batch: progress and memory vs. thread use
  bool progress = true;    // a progress line on stderr
};

struct TextShardResult {
  std::vector<std::string> shards;
  int64_t documents = 0, tokens = 0;
  int64_t vocab_size = 0;
  int32_t eot_id = -1;
};

StatusOr<TextShardResult> WriteTextShards(const TextShardOptions& options);

// The shared core, exposed for tests and other encoders: splits the inputs
// into documents, encodes them in batches of about batch_bytes with
// `encode` (which returns each document's ids, end-of-text included, or an
// error) and writes shards of vocabulary `vocab_size`.
using BatchEncoder = std::function<StatusOr<std::vector<std::vector<int32_t>>>(
    const std::vector<std::string>& documents)>;
StatusOr<TextShardResult> WriteShardsWith(const TextShardOptions& options, int64_t vocab_size,
                                          const BatchEncoder& encode);

}  // namespace seek
