// data/text_shards.h — token shards from plain text with the byte vocabulary.
//
// The trainer's default corpus before BPE tokenizers land: each input file
// is cut into documents (groups of `doc_lines` lines, or paragraphs separated
// by blank lines when doc_lines is 0), every document is encoded as bytes
// followed by the end-of-text id 256, and documents are written to
// OUT/shard_00000.bin, ... holding about `shard_tokens` tokens each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace seek {

struct TextShardOptions {
  std::vector<std::string> inputs;
  std::string out_dir;
  int64_t doc_lines = 32;
  int64_t shard_tokens = 50'000'000;
  bool progress = true;  // a progress line on stderr
};

struct TextShardResult {
  std::vector<std::string> shards;
  int64_t documents = 0, tokens = 0;
};

StatusOr<TextShardResult> WriteByteShards(const TextShardOptions& options);

}  // namespace seek
