#include "data/text_shards.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "io/file_util.h"
#include "io/shard.h"
#include "tokenizer/bytes.h"

namespace seek {

StatusOr<TextShardResult> WriteByteShards(const TextShardOptions& o) {
  if (o.inputs.empty()) return InvalidArgumentError("no input files given");
  if (o.doc_lines < 0) return InvalidArgumentError("doc_lines = {} must be >= 0", o.doc_lines);
  if (o.shard_tokens < 1) return InvalidArgumentError("shard_tokens = {} must be >= 1", o.shard_tokens);
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return IoError("cannot create {}: {}", o.out_dir, ec.message());

  TextShardResult result;
  std::unique_ptr<ShardWriter> writer;
  auto flush = [&]() -> Status {
    if (writer && writer->num_docs() > 0) {
      RETURN_IF_ERROR(writer->Finish());
      writer.reset();
    }
    return Status::Ok();
  };
  auto add = [&](std::string_view text) -> Status {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status::Ok();
    if (!writer) {
      result.shards.push_back(fmt::format("{}/shard_{:05d}.bin", o.out_dir, result.shards.size()));
      writer = std::make_unique<ShardWriter>(result.shards.back(), ByteTokenizer::kVocabSize);
    }
    std::vector<int32_t> ids = ByteTokenizer::Encode(text);
    ids.push_back(ByteTokenizer::kEndOfText);
    RETURN_IF_ERROR(writer->AddDocument(ids));
    result.documents++;
    result.tokens += static_cast<int64_t>(ids.size());
    if (writer->num_tokens() >= o.shard_tokens) return flush();
    return Status::Ok();
  };

  const auto start = std::chrono::steady_clock::now();
  int64_t bytes_done = 0, bytes_total = 0;
  for (const std::string& in : o.inputs) bytes_total += std::filesystem::file_size(in, ec);
  for (const std::string& in : o.inputs) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(in));
    size_t doc_start = 0, pos = 0;
    int64_t lines = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      size_t end = nl == std::string::npos ? text.size() : nl + 1;
      const bool blank = std::string_view(text).substr(pos, end - pos).find_first_not_of(" \t\r\n") ==
                         std::string_view::npos;
      ++lines;
      pos = end;
      bool cut = o.doc_lines > 0 ? lines % o.doc_lines == 0 : blank;
      if (cut) {
        RETURN_IF_ERROR(add(std::string_view(text).substr(doc_start, pos - doc_start)));
        doc_start = pos;
      }
    }
    RETURN_IF_ERROR(add(std::string_view(text).substr(doc_start)));
    bytes_done += static_cast<int64_t>(text.size());
    if (o.progress) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      double rate = bytes_done / std::max(s, 1e-9);
      std::fprintf(stderr, "\rshards: %lld/%lld bytes, %.1f MB/s, ETA %.0fs   ",
                   (long long)bytes_done, (long long)bytes_total, rate / 1e6,
                   (bytes_total - bytes_done) / std::max(rate, 1.0));
    }
  }
  RETURN_IF_ERROR(flush());
  if (o.progress) std::fprintf(stderr, "\n");
  if (result.documents == 0) return InvalidArgumentError("the inputs hold no text");
  return result;
}

}  // namespace seek
