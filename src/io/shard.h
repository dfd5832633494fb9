// io/shard.h — token shards: the training data on disk (docs/formats/shard.md).
//
// A shard holds documents of token ids back to back, a document index and a
// 64-byte header (magic, version, token width, counts, vocabulary size and an
// XXH64 checksum of the body). Tokens are uint16 when the vocabulary fits in
// 65,536 ids, else uint32. ShardWriter collects documents and writes the file
// atomically; ShardFile reads one whole shard and validates everything
// (truncation, checksum, index, ids < vocab) before handing out documents.
// Thread-safety: ShardFile's const methods are safe concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace seek {

inline constexpr char kShardMagic[8] = {'S', 'E', 'E', 'K', 'S', 'H', 'D', '1'};
inline constexpr uint32_t kShardVersion = 1;
inline constexpr size_t kShardHeaderBytes = 64;

class ShardWriter {
 public:
  // vocab_size: every id added must be < vocab_size.
  ShardWriter(std::string path, int64_t vocab_size);
  // Appends one document; an empty document is skipped. Errors for ids out of range.
  Status AddDocument(std::span<const int32_t> tokens);
  int64_t num_tokens() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t num_docs() const { return static_cast<int64_t>(starts_.size()) - 1; }
  // Writes the shard (temp, fsync, rename). The writer can't be used afterwards.
  Status Finish();

 private:
  std::string path_;
  int64_t vocab_size_;
  std::vector<uint32_t> tokens_;
  std::vector<uint64_t> starts_{0};
};

class ShardFile {
 public:
  static StatusOr<ShardFile> Open(const std::string& path);
  // Parses bytes in memory; `label` names them in errors (used by the fuzzer).
  static StatusOr<ShardFile> Parse(std::string bytes, const std::string& label);

  int64_t num_docs() const { return static_cast<int64_t>(starts_.size()) - 1; }
  int64_t num_tokens() const { return n_tokens_; }
  int64_t vocab_size() const { return vocab_size_; }
  int token_bytes() const { return token_bytes_; }
  int64_t DocLength(int64_t doc) const { return starts_[doc + 1] - starts_[doc]; }
  // Copies tokens [begin, begin + n) of document `doc` into out (as int32).
  void ReadTokens(int64_t doc, int64_t begin, int64_t n, int32_t* out) const;
  const std::string& label() const { return label_; }

 private:
  std::string label_;
  std::string bytes_;
  int token_bytes_ = 2;
  int64_t n_tokens_ = 0, vocab_size_ = 0;
  std::vector<uint64_t> starts_;
  size_t tokens_offset_ = 0;
};

}  // namespace seek
