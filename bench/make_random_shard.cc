// make_random_shard OUT.bin VOCAB DOCS [SEED]: a token shard of random documents
// (200-2000 uniform random ids each) for throughput benchmarks, where the
// values of the ids do not matter.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/random.h"
#include "io/shard.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: make_random_shard OUT.bin VOCAB DOCS [SEED]\n");
    return 2;
  }
  const int64_t vocab = std::atoll(argv[2]), docs = std::atoll(argv[3]);
  seek::Rng rng(argc > 4 ? std::atoll(argv[4]) : 1);
  seek::ShardWriter w(argv[1], vocab);
  for (int64_t d = 0; d < docs; ++d) {
    std::vector<int32_t> doc(200 + rng.Below(1801));
    for (auto& t : doc) t = static_cast<int32_t>(rng.Below(vocab));
    seek::Status s = w.AddDocument(doc);
    if (!s.ok()) return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 2;
  }
  seek::Status s = w.Finish();
  if (!s.ok()) return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
  return 0;
}
