// io/comm.h for one process: collectives return the caller's data, the byte
// codec round-trips and flags truncated input, AgreeOnStatus passes errors.
// (Several ranks: tests/data/pipeline_mpi_test.sh runs mpirun -np 2 and 4.)
#include "io/comm.h"

#include <random>

#include <gtest/gtest.h>

namespace seek {
namespace {

TEST(Comm, LocalCollectivesReturnTheCallersBytes) {
  std::unique_ptr<Comm> c = LocalComm();
  EXPECT_EQ(c->rank(), 0);
  EXPECT_EQ(c->size(), 1);
  std::mt19937 rng(std::random_device{}());
  std::string bytes(rng() % 1000, '\0');
  for (char& ch : bytes) ch = static_cast<char>(rng());
  auto all = c->AllGather(bytes);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], bytes);
  auto root = c->Gather(bytes, 0);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ((*root)[0], bytes);
  EXPECT_TRUE(c->Barrier().ok());
  EXPECT_TRUE(AgreeOnStatus(*c, Status::Ok()).ok());
  Status bad = AgreeOnStatus(*c, InvalidArgumentError("file x: bad"));
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "file x: bad");
}

TEST(Comm, ByteCodecRoundTripsAndFlagsTruncation) {
  std::mt19937_64 rng(std::random_device{}());
  const uint64_t u = rng();
  const int64_t i = static_cast<int64_t>(rng());
  const double d = static_cast<double>(rng()) / 7.0;
  std::string s(rng() % 300, 'x');
  for (char& ch : s) ch = static_cast<char>(rng());
  ByteWriter w;
  w.U64(u), w.I64(i), w.F64(d), w.Str(s);
  ByteReader r(w.bytes());
  EXPECT_EQ(r.U64(), u);
  EXPECT_EQ(r.I64(), i);
  EXPECT_EQ(r.F64(), d);
  EXPECT_EQ(r.Str(), s);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
  for (size_t cut = 0; cut < w.bytes().size(); cut += 1 + rng() % 13) {
    ByteReader t(std::string_view(w.bytes()).substr(0, cut));
    t.U64(), t.I64(), t.F64(), t.Str();
    EXPECT_FALSE(t.ok()) << "cut at " << cut;
  }
  ByteReader huge("\xff\xff\xff\xff\xff\xff\xff\x7f");  // a length past the end
  EXPECT_EQ(huge.Str(), "");
  EXPECT_FALSE(huge.ok());
}

TEST(Comm, NotLaunchedByMpiGivesOneRank) {
  if (LaunchedByMpi()) GTEST_SKIP() << "running under an MPI launcher";
  auto w = WorldComm();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->size(), 1);
}

}  // namespace
}  // namespace seek
