#include "data/loader.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "core/check.h"
#include "core/random.h"

namespace seek {
namespace {


Status ReadUnsignedField(const nlohmann::json& json, const char* name, uint64_t* out) {
  auto it = json.find(name);
  if (it == json.end())
    return InvalidArgumentError("loader position: missing field '{}' (an integer >= 0)", name);
  if (it->is_number_unsigned()) {
    *out = it->get<uint64_t>();
  } else if (it->is_number_integer() && it->get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(it->get<int64_t>());
  } else {
    return InvalidArgumentError("loader position: field '{}' = {} must be an integer >= 0", name,
                                it->dump());
  }
  return Status::Ok();
}

}  // namespace

const char* SplitName(Split split) {
  return split == Split::kTrain ? "training" : "validation";
}

bool IsValidationDocByHash(uint64_t split_seed, uint64_t g, double val_fraction) {
  const double u = static_cast<double>(SplitMix64(SplitMix64(split_seed) ^ g) >> 11) * 0x1.0p-53;  // [0, 1)
  return u < val_fraction;
}

nlohmann::json ToJson(const LoaderPosition& position) {
  return nlohmann::json{{"epoch", position.epoch},
                        {"doc_cursor", position.doc_cursor},
                        {"token_in_doc", position.token_in_doc}};
}

StatusOr<LoaderPosition> LoaderPositionFromJson(const nlohmann::json& json) {
  if (!json.is_object())
    return InvalidArgumentError("loader position must be a JSON object, got {}", json.type_name());
  LoaderPosition p;
  RETURN_IF_ERROR(ReadUnsignedField(json, "epoch", &p.epoch));
  RETURN_IF_ERROR(ReadUnsignedField(json, "doc_cursor", &p.doc_cursor));
  RETURN_IF_ERROR(ReadUnsignedField(json, "token_in_doc", &p.token_in_doc));
  return p;
}

StatusOr<DataLoader> DataLoader::Open(const LoaderOptions& options, Split split) {
  if (options.shards.empty()) return InvalidArgumentError("data loader: no shards given");
  if (options.batch_size < 1)
    return InvalidArgumentError("data loader: batch_size = {} must be >= 1", options.batch_size);
  if (options.seq_len < 1)
    return InvalidArgumentError("data loader: seq_len = {} must be >= 1", options.seq_len);
  if (!(options.val_fraction >= 0.0 && options.val_fraction <= 0.5))
    return InvalidArgumentError("data loader: val_fraction = {} must be in [0, 0.5]",
                                options.val_fraction);
  if (split == Split::kValidation && options.val_fraction == 0.0)
    return InvalidArgumentError(
        "data loader: the validation split is empty because val_fraction = 0 "
        "(set val_fraction > 0 to hold out documents)");

  DataLoader loader;
  loader.split_ = split;
  loader.batch_size_ = options.batch_size;
  loader.seq_len_ = options.seq_len;
  loader.seed_ = options.seed;
  loader.shards_.reserve(options.shards.size());
  for (const std::string& path : options.shards) {
    ASSIGN_OR_RETURN(ShardFile shard, ShardFile::Open(path));
    if (!loader.shards_.empty() && shard.vocab_size() != loader.shards_[0].vocab_size())
      return InvalidArgumentError(
          "data loader: {} has vocab_size {} but {} has vocab_size {}; all shards must share "
          "one vocabulary",
          path, shard.vocab_size(), options.shards[0], loader.shards_[0].vocab_size());
    loader.shards_.push_back(std::move(shard));
  }
  loader.vocab_size_ = loader.shards_[0].vocab_size();
  // Tokens are handed out as int32; larger ids would turn negative.
  if (loader.vocab_size_ > (int64_t{1} << 31))
    return InvalidArgumentError("data loader: {}: vocab_size {} exceeds 2^31 (ids are int32)",
                                options.shards[0], loader.vocab_size_);

  // The split, over global document numbers g (shard by shard, in order).
  int64_t total = 0;
  for (const ShardFile& s : loader.shards_) total += s.num_docs();
  if (total == 0) return InvalidArgumentError("data loader: the shards hold no documents");
  std::vector<bool> is_val(total, false);
  int64_t n_val = 0;
  if (total >= 2) {  // a single document always trains
    for (int64_t g = 0; g < total; ++g) {
      is_val[g] = IsValidationDocByHash(options.split_seed, g, options.val_fraction);
      n_val += is_val[g];
    }
    if (options.val_fraction > 0.0 && n_val == 0) is_val[total - 1] = true;
    if (n_val == total) is_val[0] = false;
  }
  const bool want_val = split == Split::kValidation;
  int64_t g = 0;
  for (size_t s = 0; s < loader.shards_.size(); ++s) {
    for (int64_t d = 0; d < loader.shards_[s].num_docs(); ++d, ++g) {
      if (is_val[g] != want_val) continue;
      const int64_t length = loader.shards_[s].DocLength(d);
      loader.docs_.push_back({static_cast<int32_t>(s), d, length});
      loader.num_tokens_ += length;
    }
  }
  if (loader.docs_.empty())
    return InvalidArgumentError(
        "data loader: the {} split is empty ({} documents in all, val_fraction = {})",
        SplitName(split), total, options.val_fraction);
  loader.ComputeOrder(0, &loader.order_);
  return loader;
}

void DataLoader::ComputeOrder(uint64_t epoch, std::vector<int64_t>* order) const {
  order->resize(docs_.size());
  std::iota(order->begin(), order->end(), int64_t{0});
  if (split_ != Split::kTrain) return;
  Rng rng(SplitMix64(SplitMix64(seed_) ^ epoch));
  for (size_t i = order->size() - 1; i > 0; --i) {  // Fisher-Yates
    const size_t j = rng.Below(i + 1);
    std::swap((*order)[i], (*order)[j]);
  }
}

void DataLoader::AdvanceDocument() {
  offset_ = 0;
  if (++cursor_ < num_docs()) return;
  cursor_ = 0;
  ++epoch_;
  ComputeOrder(epoch_, &order_);  // same size: no allocation
}

void DataLoader::Next(int32_t* tokens, int32_t* targets, int32_t* doc_ids) {
  CHECK(tokens != nullptr && targets != nullptr && doc_ids != nullptr);
  const int64_t T = seq_len_;
  for (int64_t r = 0; r < batch_size_; ++r) {
    int32_t* tok = tokens + r * T;
    int32_t* tgt = targets + r * T;
    int32_t* ids = doc_ids + r * T;
    int32_t segment = 0;
    for (int64_t i = 0; i < T; ++segment) {
      const DocRef& doc = docs_[order_[cursor_]];
      const ShardFile& shard = shards_[doc.shard];
      const int64_t n = std::min(T - i, doc.length - offset_);
      const int64_t end = offset_ + n;
      shard.ReadTokens(doc.doc, offset_, n, tok + i);
      std::copy(tok + i + 1, tok + i + n, tgt + i);
      if (end < doc.length) {
        shard.ReadTokens(doc.doc, end, 1, tgt + i + n - 1);  // lookahead past the row
      } else {
        tgt[i + n - 1] = -1;  // the document ends here
      }
      std::fill(ids + i, ids + i + n, segment);
      i += n;
      if (end == doc.length) {
        AdvanceDocument();
      } else {
        offset_ = end;
      }
    }
  }
}

LoaderPosition DataLoader::position() const {
  return {epoch_, static_cast<uint64_t>(cursor_), static_cast<uint64_t>(offset_)};
}

Status DataLoader::Seek(const LoaderPosition& position) {
  if (position.doc_cursor >= static_cast<uint64_t>(num_docs()))
    return InvalidArgumentError(
        "data loader: position doc_cursor = {} is out of range: the {} split has {} documents",
        position.doc_cursor, SplitName(split_), num_docs());
  std::vector<int64_t> order;
  if (position.epoch != epoch_) ComputeOrder(position.epoch, &order);
  const std::vector<int64_t>& use = position.epoch != epoch_ ? order : order_;
  const int64_t length = docs_[use[position.doc_cursor]].length;
  if (position.token_in_doc >= static_cast<uint64_t>(length))
    return InvalidArgumentError(
        "data loader: position token_in_doc = {} is out of range: document {} of epoch {} has "
        "{} tokens",
        position.token_in_doc, position.doc_cursor, position.epoch, length);
  if (position.epoch != epoch_) order_ = std::move(order);
  epoch_ = position.epoch;
  cursor_ = static_cast<int64_t>(position.doc_cursor);
  offset_ = static_cast<int64_t>(position.token_in_doc);
  return Status::Ok();
}

void DataLoader::Reset() {
  CHECK_OK(Seek(LoaderPosition{}));
}

}  // namespace seek
