// data/loader.h — the training data loader: token shards to packed [B, T] batches
// (docs/formats/loader.md).
//
// A DataLoader sees the documents of a list of shards as one numbered list
// (shard 0's documents, then shard 1's, ...), splits them by a seeded hash into
// training and validation, and packs its split's documents into a stream that
// it cuts into rows of T tokens with no padding: a row continues where the
// previous one ended, and when the split runs out the next epoch follows
// seamlessly. Training reshuffles the documents every epoch (deterministically
// from `seed` and the epoch); validation keeps the natural order. Targets
// never cross a document boundary (-1 there), and doc_ids number the
// documents within a row so attention can be masked per document.
//
// The whole state is a LoaderPosition (epoch, document in the epoch's order,
// token in the document); Seek(position()) resumes exactly.
//
// Ownership: the loader owns its opened shards (each read into memory).
// Thread-safety: none; use one loader per consumer. Moving is allowed, copying
// is not (it would duplicate the shards).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/shard.h"

namespace seek {

struct LoaderOptions {
  std::vector<std::string> shards;  // paths, in order; all with the same vocab_size
  int64_t batch_size = 0;           // B >= 1 rows per batch
  int64_t seq_len = 0;              // T >= 1 tokens per row
  uint64_t seed = 0;                // training shuffle; does not affect the split
  double val_fraction = 0.01;       // in [0, 0.5]: expected share of validation documents
  uint64_t split_seed = 0;          // the train/validation split
};

enum class Split { kTrain, kValidation };

const char* SplitName(Split split);

// Where the stream stands: the next token to emit is token `token_in_doc` of
// the document at index `doc_cursor` of epoch `epoch`'s order. Always
// doc_cursor < num_docs() and token_in_doc < that document's length.
struct LoaderPosition {
  uint64_t epoch = 0;
  uint64_t doc_cursor = 0;
  uint64_t token_in_doc = 0;

  bool operator==(const LoaderPosition&) const = default;
};

// {"epoch": e, "doc_cursor": d, "token_in_doc": t}
nlohmann::json ToJson(const LoaderPosition& position);
// Errors name the missing or malformed field (each must be an integer >= 0).
StatusOr<LoaderPosition> LoaderPositionFromJson(const nlohmann::json& json);

class DataLoader {
 public:
  // Opens every shard and selects `split`'s documents. Errors: no shards,
  // B or T < 1, val_fraction outside [0, 0.5], a missing or corrupt shard
  // (ShardFile's error), shards with different vocab sizes (naming both), and
  // an empty split (e.g. validation with val_fraction 0).
  static StatusOr<DataLoader> Open(const LoaderOptions& options, Split split);

  DataLoader(DataLoader&&) = default;
  DataLoader& operator=(DataLoader&&) = default;
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Fills the next batch and advances. Each buffer holds B * T int32, row-major:
  //   tokens   [B, T]  token ids, the stream cut into consecutive rows
  //   targets  [B, T]  the next stream token if it is in the same document, else -1
  //                    (a row's last token looks one token ahead into the stream)
  //   doc_ids  [B, T]  0 for the row's first segment, +1 at each document start
  // O(B * T) and allocation-free; crossing an epoch boundary also reshuffles the
  // order in place, O(num_docs()).
  void Next(int32_t* tokens, int32_t* targets, int32_t* doc_ids);

  LoaderPosition position() const;
  // Moves to `position`. Errors (state unchanged) if doc_cursor >= num_docs()
  // or token_in_doc >= the length of that document in that epoch's order.
  Status Seek(const LoaderPosition& position);
  // Back to {0, 0, 0}: repeatable validation passes.
  void Reset();

  Split split() const { return split_; }
  int64_t batch_size() const { return batch_size_; }
  int64_t seq_len() const { return seq_len_; }
  int64_t num_docs() const { return static_cast<int64_t>(docs_.size()); }  // in the split
  int64_t num_tokens() const { return num_tokens_; }                       // in the split
  uint64_t epoch() const { return epoch_; }
  int64_t vocab_size() const { return vocab_size_; }

 private:
  struct DocRef {
    int32_t shard;  // index into shards_
    int64_t doc;    // document within that shard
    int64_t length;
  };

  DataLoader() = default;
  // Writes epoch `epoch`'s order of docs_ into *order (resized to num_docs()).
  void ComputeOrder(uint64_t epoch, std::vector<int64_t>* order) const;
  // Moves to the next document, starting a new epoch (and order) after the last.
  void AdvanceDocument();

  Split split_ = Split::kTrain;
  int64_t batch_size_ = 0, seq_len_ = 0, vocab_size_ = 0, num_tokens_ = 0;
  uint64_t seed_ = 0;
  std::vector<ShardFile> shards_;
  std::vector<DocRef> docs_;    // the split's documents in global order
  std::vector<int64_t> order_;  // [num_docs] indices into docs_ for epoch_
  uint64_t epoch_ = 0;
  int64_t cursor_ = 0;  // index into order_
  int64_t offset_ = 0;  // next token within docs_[order_[cursor_]]
};

// True iff global document `g` belongs to validation by the hash alone (before
// the at-least-one rules of Open). Exposed for tools that must agree on the split.
bool IsValidationDocByHash(uint64_t split_seed, uint64_t g, double val_fraction);

}  // namespace seek
