// tests/fuzz/shard_fuzz.cc — libFuzzer target for the token shard reader.
//
// Parses arbitrary bytes; when they parse, reads every document and checks the
// invariants the reader promises (lengths sum to the token count, every id is
// inside the vocabulary). Built with ASan/UBSan.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/check.h"
#include "io/shard.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seek::StatusOr<seek::ShardFile> f =
      seek::ShardFile::Parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!f.ok()) {
    CHECK(f.status().message().find("fuzz") != std::string::npos);
    return 0;
  }
  int64_t total = 0;
  std::vector<int32_t> ids;
  for (int64_t d = 0; d < f->num_docs(); ++d) {
    const int64_t n = f->DocLength(d);
    CHECK(n > 0);
    ids.resize(n);
    f->ReadTokens(d, 0, n, ids.data());
    for (int32_t id : ids) CHECK(id >= 0 && id < f->vocab_size());
    total += n;
  }
  CHECK(total == f->num_tokens());
  return 0;
}
