#include "io/shard.h"

#include <cstring>
#include <string_view>

#include <xxhash.h>

#include "core/check.h"
#include "io/file_util.h"

namespace seek {
namespace {

template <typename T>
void Put(std::string* s, T v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
T Get(const std::string& s, size_t off) {
  T v;
  std::memcpy(&v, s.data() + off, sizeof(T));
  return v;
}

// XXH64 over the first 56 header bytes and the body: every byte but the checksum.
uint64_t Checksum(const char* header, std::string_view body) {
  XXH64_state_t* st = XXH64_createState();
  XXH64_reset(st, 0);
  XXH64_update(st, header, kShardHeaderBytes - 8);
  XXH64_update(st, body.data(), body.size());
  uint64_t h = XXH64_digest(st);
  XXH64_freeState(st);
  return h;
}

}  // namespace

ShardWriter::ShardWriter(std::string path, int64_t vocab_size)
    : path_(std::move(path)), vocab_size_(vocab_size) {}

Status ShardWriter::AddDocument(std::span<const int32_t> tokens) {
  if (tokens.empty()) return Status::Ok();
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab_size_)
      return InvalidArgumentError("{}: document {} token {} has id {}, outside [0, {})", path_,
                                  num_docs(), i, tokens[i], vocab_size_);
  tokens_.insert(tokens_.end(), tokens.begin(), tokens.end());
  starts_.push_back(tokens_.size());
  return Status::Ok();
}

Status ShardWriter::Finish() {
  if (vocab_size_ <= 0 || vocab_size_ > (int64_t{1} << 32))
    return InvalidArgumentError("{}: vocab_size {} must be in [1, 2^32]", path_, vocab_size_);
  const uint32_t width = vocab_size_ <= 65536 ? 2 : 4;
  std::string body;
  body.reserve(starts_.size() * 8 + tokens_.size() * width);
  for (uint64_t s : starts_) Put(&body, s);
  for (uint32_t t : tokens_) {
    if (width == 2)
      Put(&body, static_cast<uint16_t>(t));
    else
      Put(&body, t);
  }
  std::string out(kShardMagic, 8);
  Put(&out, kShardVersion);
  Put(&out, width);
  Put(&out, static_cast<uint64_t>(tokens_.size()));
  Put(&out, static_cast<uint64_t>(starts_.size() - 1));
  Put(&out, static_cast<uint64_t>(vocab_size_));
  Put(&out, uint64_t{0});
  Put(&out, uint64_t{0});
  Put(&out, Checksum(out.data(), body));
  CHECK(out.size() == kShardHeaderBytes);
  out += body;
  return WriteFileAtomic(path_, out);
}

StatusOr<ShardFile> ShardFile::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return Parse(std::move(bytes), path);
}

StatusOr<ShardFile> ShardFile::Parse(std::string bytes, const std::string& label) {
  ShardFile f;
  f.label_ = label;
  if (bytes.size() < kShardHeaderBytes)
    return DataLossError("{}: {} bytes is shorter than the {}-byte shard header (truncated?)",
                         label, bytes.size(), kShardHeaderBytes);
  if (std::memcmp(bytes.data(), kShardMagic, 8) != 0)
    return DataLossError("{}: not a Seek token shard (bad magic; expected \"SEEKSHD1\")", label);
  const uint32_t version = Get<uint32_t>(bytes, 8), width = Get<uint32_t>(bytes, 12);
  const uint64_t n_tokens = Get<uint64_t>(bytes, 16), n_docs = Get<uint64_t>(bytes, 24);
  const uint64_t vocab = Get<uint64_t>(bytes, 32), checksum = Get<uint64_t>(bytes, 56);
  if (version != kShardVersion)
    return UnimplementedError("{}: shard version {} is not supported (this Seek reads {})", label,
                              version, kShardVersion);
  if (width != 2 && width != 4)
    return DataLossError("{}: token width {} must be 2 or 4 bytes", label, width);
  if (vocab == 0 || vocab > (uint64_t{1} << 32) || (width == 2 && vocab > 65536))
    return DataLossError("{}: vocab_size {} does not fit token width {}", label, vocab, width);
  const uint64_t body = bytes.size() - kShardHeaderBytes;
  // Sizes checked before multiplying: a corrupt count must not overflow.
  if (n_docs >= body / 8 || n_tokens > body / width ||
      (n_docs + 1) * 8 + n_tokens * width != body)
    return DataLossError("{}: header says {} documents and {} tokens of {} bytes, but the body "
                         "has {} bytes (truncated or corrupt)",
                         label, n_docs, n_tokens, width, body);
  if (Checksum(bytes.data(), std::string_view(bytes).substr(kShardHeaderBytes)) != checksum)
    return DataLossError("{}: checksum mismatch (the file is corrupt)", label);
  f.starts_.resize(n_docs + 1);
  std::memcpy(f.starts_.data(), bytes.data() + kShardHeaderBytes, (n_docs + 1) * 8);
  if (f.starts_[0] != 0 || f.starts_[n_docs] != n_tokens)
    return DataLossError("{}: document index must start at 0 and end at {}", label, n_tokens);
  for (uint64_t d = 0; d < n_docs; ++d)
    if (f.starts_[d + 1] <= f.starts_[d])
      return DataLossError("{}: document {} is empty or out of order in the index", label, d);
  f.token_bytes_ = static_cast<int>(width);
  f.n_tokens_ = static_cast<int64_t>(n_tokens);
  f.vocab_size_ = static_cast<int64_t>(vocab);
  f.tokens_offset_ = kShardHeaderBytes + (n_docs + 1) * 8;
  f.bytes_ = std::move(bytes);
  // Ids beyond the vocabulary would index past the embedding table later.
  for (uint64_t i = 0; i < n_tokens; ++i) {
    uint64_t id = width == 2 ? Get<uint16_t>(f.bytes_, f.tokens_offset_ + i * 2)
                             : Get<uint32_t>(f.bytes_, f.tokens_offset_ + i * 4);
    if (id >= vocab)
      return DataLossError("{}: token {} has id {}, outside the vocabulary [0, {})", label, i, id,
                           vocab);
  }
  return f;
}

void ShardFile::ReadTokens(int64_t doc, int64_t begin, int64_t n, int32_t* out) const {
  CHECK(doc >= 0 && doc < num_docs() && begin >= 0 && begin + n <= DocLength(doc));
  const size_t first = tokens_offset_ + (starts_[doc] + begin) * token_bytes_;
  if (token_bytes_ == 2) {
    for (int64_t i = 0; i < n; ++i) out[i] = Get<uint16_t>(bytes_, first + i * 2);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(Get<uint32_t>(bytes_, first + i * 4));
  }
}

}  // namespace seek
