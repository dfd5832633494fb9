#include "data/text_shards.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>

#include <fmt/format.h>

#include "data/readers.h"
#include "data/tokenizer_files.h"
#include "io/file_util.h"
#include "io/shard.h"
#include "tokenizer/bytes.h"

namespace seek {
namespace {

bool Blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// Cuts `text` into documents and calls add(document) for each non-blank one.
template <typename Add>
Status SplitDocuments(std::string_view text, int64_t doc_lines, Add&& add) {
  size_t doc_start = 0, pos = 0;
  int64_t lines = 0;
  auto emit = [&](std::string_view doc) { return Blank(doc) ? Status::Ok() : add(doc, pos); };
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    const bool blank = Blank(text.substr(pos, end - pos));
    ++lines;
    pos = end;
    if (doc_lines > 0 ? lines % doc_lines == 0 : blank) {
      RETURN_IF_ERROR(emit(text.substr(doc_start, pos - doc_start)));
      doc_start = pos;
    }
  }
  return emit(text.substr(doc_start));
}

// Writes encoded documents to OUT/shard_NNNNN.bin, starting a new shard once
// one holds shard_tokens tokens.
class ShardSink {
 public:
  ShardSink(const TextShardOptions& o, int64_t vocab_size) : o_(o), vocab_size_(vocab_size) {
    result_.vocab_size = vocab_size;
  }
  Status Add(std::span<const int32_t> ids) {
    if (!writer_) {
      result_.shards.push_back(fmt::format("{}/shard_{:05d}.bin", o_.out_dir, result_.shards.size()));
      writer_ = std::make_unique<ShardWriter>(result_.shards.back(), vocab_size_);
    }
    RETURN_IF_ERROR(writer_->AddDocument(ids));
    result_.documents++;
    result_.tokens += static_cast<int64_t>(ids.size());
    return writer_->num_tokens() >= o_.shard_tokens ? Flush() : Status::Ok();
  }
  Status Flush() {
    if (writer_ && writer_->num_docs() > 0) RETURN_IF_ERROR(writer_->Finish());
    writer_.reset();
    return Status::Ok();
  }
  TextShardResult& result() { return result_; }

 private:
  const TextShardOptions& o_;
  int64_t vocab_size_;
  std::unique_ptr<ShardWriter> writer_;
  TextShardResult result_;
};

class Progress {
 public:
  Progress(bool on, int64_t total) : on_(on), total_(total), start_(std::chrono::steady_clock::now()) {}
  void Update(int64_t done) const {
    if (!on_) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = done / std::max(s, 1e-9);
    std::fprintf(stderr, "\rshards: %.1f/%.1f MB, %.1f MB/s, ETA %.0fs   ", done / 1e6, total_ / 1e6,
                 rate / 1e6, (total_ - done) / std::max(rate, 1.0));
  }
  void Done() const {
    if (on_) std::fprintf(stderr, "\n");
  }

 private:
  bool on_;
  int64_t total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

StatusOr<TextShardResult> WriteShardsWith(const TextShardOptions& o, int64_t vocab_size,
                                          const BatchEncoder& encode) {
  if (o.inputs.empty()) return InvalidArgumentError("no input files given");
  if (o.doc_lines < 0) return InvalidArgumentError("doc_lines = {} must be >= 0", o.doc_lines);
  if (o.format != "lines" && o.format != "jsonl")
    return InvalidArgumentError("format '{}' is not one of lines, jsonl", o.format);
  if (o.shard_tokens < 1) return InvalidArgumentError("shard_tokens = {} must be >= 1", o.shard_tokens);
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return IoError("cannot create {}: {}", o.out_dir, ec.message());

  int64_t bytes_total = 0, bytes_before = 0;
  for (const std::string& in : o.inputs) {
    const auto size = std::filesystem::file_size(in, ec);
    if (!ec) bytes_total += static_cast<int64_t>(size);
  }
  Progress progress(o.progress, bytes_total);
  ShardSink sink(o, vocab_size);
  std::vector<std::string> batch;
  int64_t batch_size = 0;
  std::string current;  // the input being split, for errors
  auto encode_batch = [&](int64_t done) -> Status {
    if (batch.empty()) return Status::Ok();
    StatusOr<std::vector<std::vector<int32_t>>> ids = encode(batch);
    if (!ids.ok()) return ids.status().WithContext(current);
    if (ids->size() != batch.size())
      return Status(StatusCode::kInternal, fmt::format("the encoder returned {} documents for {}",
                                                       ids->size(), batch.size()));
    for (const std::vector<int32_t>& doc : *ids) RETURN_IF_ERROR(sink.Add(doc));
    batch.clear();
    batch_size = 0;
    progress.Update(done);
    return Status::Ok();
  };
  for (const std::string& in : o.inputs) {
    current = in;
    // `done`: bytes of this input read so far, for the progress line.
    auto add = [&](std::string doc, int64_t done) -> Status {
      batch_size += static_cast<int64_t>(doc.size());
      batch.push_back(std::move(doc));
      return batch_size >= o.batch_bytes ? encode_batch(bytes_before + done) : Status::Ok();
    };
    int64_t size = 0;
    if (o.format == "jsonl") {
      // The pipeline's JSONL reader; its errors name the file and line.
      InputConfig jsonl;
      jsonl.source = "shards";
      jsonl.path = in;
      jsonl.format = "jsonl";
      jsonl.text_field = o.text_field;
      jsonl.strict = true;
      ReadStats stats;
      const auto file_size = std::filesystem::file_size(in, ec);
      size = ec ? 0 : static_cast<int64_t>(file_size);
      RETURN_IF_ERROR(ReadInputFileWith(jsonl, in, &stats, [&](Document&& d) {
        return add(std::move(d.text), std::min(stats.bytes, size));
      }));
    } else {
      ASSIGN_OR_RETURN(std::string text, ReadFileToString(in));
      size = static_cast<int64_t>(text.size());
      Status split = SplitDocuments(text, o.doc_lines, [&](std::string_view doc, size_t end) {
        return add(std::string(doc), static_cast<int64_t>(end));
      });
      if (!split.ok()) return split.WithContext(in);
    }
    bytes_before += size;
    RETURN_IF_ERROR(encode_batch(bytes_before));  // a batch never spans two inputs (error context)
  }
  RETURN_IF_ERROR(sink.Flush());
  progress.Done();
  if (sink.result().documents == 0) return InvalidArgumentError("the inputs hold no text");
  return std::move(sink.result());
}

StatusOr<TextShardResult> WriteTextShards(const TextShardOptions& o) {
  if (o.tokenizer.empty()) {
    if (!o.eot_token.empty())
      return InvalidArgumentError("--eot-token {:?} needs --tokenizer (the byte vocabulary's "
                                  "end of text is always 256)",
                                  o.eot_token);
    auto bytes = [](const std::vector<std::string>& docs) -> StatusOr<std::vector<std::vector<int32_t>>> {
      std::vector<std::vector<int32_t>> out(docs.size());
      for (size_t i = 0; i < docs.size(); ++i) {
        out[i] = ByteTokenizer::Encode(docs[i]);
        out[i].push_back(ByteTokenizer::kEndOfText);
      }
      return out;
    };
    ASSIGN_OR_RETURN(TextShardResult r, WriteShardsWith(o, ByteTokenizer::kVocabSize, bytes));
    RETURN_IF_ERROR(RemoveTokenizerFiles(o.out_dir));
    r.eot_id = ByteTokenizer::kEndOfText;
    return r;
  }
  ASSIGN_OR_RETURN(TokenizerBundle b, LoadTokenizerBundle(o.tokenizer, o.eot_token));
  const Tokenizer& tok = *b.tokenizer;
  const int32_t eot = b.eot_id;
  auto bpe = [&](const std::vector<std::string>& docs) -> StatusOr<std::vector<std::vector<int32_t>>> {
    std::vector<std::vector<int32_t>> out = tok.EncodeBatch(docs, /*add_special_tokens=*/false, o.threads);
    for (size_t i = 0; i < out.size(); ++i) {
      // Encode returns nothing only when an internal limit was hit; ask again for the reason.
      if (out[i].empty()) {
        ASSIGN_OR_RETURN(out[i], tok.EncodeOrError(docs[i], false));
        if (out[i].empty()) return InvalidArgumentError("a document encodes to no tokens");
      }
      out[i].push_back(eot);
    }
    return out;
  };
  // The tokenizer files first: shards without them would pass for byte-level ones.
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return IoError("cannot create {}: {}", o.out_dir, ec.message());
  RETURN_IF_ERROR(SaveTokenizerFiles(b, o.out_dir));
  ASSIGN_OR_RETURN(TextShardResult r, WriteShardsWith(o, tok.vocab_size(), bpe));
  r.eot_id = eot;
  return r;
}

}  // namespace seek
