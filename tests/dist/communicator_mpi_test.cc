// train/dist/communicator.h under mpirun (2 and 4 ranks; 1 rank runs the
// local forms). Values are small integers so every summation order gives the
// same float and results are compared exactly.
#include "train/dist/communicator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "dist/dist_test_util.h"

namespace seek {
namespace {

using testing::SharedSeed;
using testing::World;

// Rank r's values: integers in [-50, 50], from (seed, r).
std::vector<float> Values(uint64_t seed, int r, int64_t n) {
  std::mt19937_64 g(seed * 1000003 + r);
  std::uniform_int_distribution<int> d(-50, 50);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(d(g));
  return v;
}

class CommunicatorTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override { SetCommunicatorPieceForTesting(GetParam()); }
  void TearDown() override { SetCommunicatorPieceForTesting(int64_t{1} << 30); }
};

TEST_P(CommunicatorTest, AllReduceReduceScatterAllGather) {
  auto c = World();
  const int p = c->size(), me = c->rank();
  const uint64_t seed = SharedSeed(*c);
  for (int64_t n : {int64_t{1}, int64_t{29}, int64_t{1000}}) {
    std::vector<float> sum(p * n, 0.f);
    for (int r = 0; r < p; ++r) {
      const auto v = Values(seed + n, r, p * n);
      for (int64_t i = 0; i < p * n; ++i) sum[i] += v[i];
    }
    // all-reduce (blocking and non-blocking)
    auto mine = Values(seed + n, me, p * n);
    ASSERT_TRUE(c->AllReduceSum(mine.data(), p * n).ok());
    EXPECT_EQ(mine, sum) << "n " << n;
    mine = Values(seed + n, me, p * n);
    auto req = c->IAllReduceSum(mine.data(), p * n);
    ASSERT_TRUE(req.ok());
    c->Progress();
    ASSERT_TRUE(c->Wait(**req, "test all-reduce").ok());
    EXPECT_EQ(mine, sum);
    // reduce-scatter: my slice of the sum
    mine = Values(seed + n, me, p * n);
    std::vector<float> out(n, -1.f);
    ASSERT_TRUE(c->ReduceScatterSum(mine.data(), out.data(), n).ok());
    EXPECT_EQ(out, std::vector<float>(sum.begin() + me * n, sum.begin() + (me + 1) * n));
    // all-gather: every rank's first n values, in rank order
    std::vector<float> gathered(p * n, -1.f), expect;
    const auto part = Values(seed + 7 * n, me, n);
    ASSERT_TRUE(c->AllGather(part.data(), gathered.data(), n).ok());
    for (int r = 0; r < p; ++r) {
      const auto v = Values(seed + 7 * n, r, n);
      expect.insert(expect.end(), v.begin(), v.end());
    }
    EXPECT_EQ(gathered, expect);
  }
}

TEST_P(CommunicatorTest, BroadcastSendRecvMax) {
  auto c = World();
  const int p = c->size(), me = c->rank();
  const uint64_t seed = SharedSeed(*c);
  std::vector<float> b = me == p - 1 ? Values(seed, 99, 37) : std::vector<float>(37, 0.f);
  ASSERT_TRUE(c->Broadcast(b.data(), b.size() * sizeof(float), p - 1).ok());
  EXPECT_EQ(b, Values(seed, 99, 37));
  auto mx = c->AllReduceMax(static_cast<double>(Values(seed, me, 1)[0]));
  ASSERT_TRUE(mx.ok());
  double expect = -1e9;
  for (int r = 0; r < p; ++r) expect = std::max(expect, static_cast<double>(Values(seed, r, 1)[0]));
  EXPECT_EQ(*mx, expect);
  if (p == 1) {
    EXPECT_FALSE(c->ISend(b.data(), 4, 0, 0).ok());
    return;
  }
  // A ring: send to the next rank, receive from the previous, 0 bytes too.
  const int next = (me + 1) % p, prev = (me + p - 1) % p;
  auto send = Values(seed + 1, me, 53), recv = std::vector<float>(53, 0.f);
  auto rr = c->IRecv(recv.data(), recv.size() * sizeof(float), prev, 5);
  auto sr = c->ISend(send.data(), send.size() * sizeof(float), next, 5);
  ASSERT_TRUE(rr.ok() && sr.ok());
  ASSERT_TRUE(c->Wait(**sr, "send").ok());
  ASSERT_TRUE(c->Wait(**rr, "recv").ok());
  EXPECT_EQ(recv, Values(seed + 1, prev, 53));
  auto zr = c->IRecv(nullptr, 0, prev, 6);
  ASSERT_TRUE(c->Send(nullptr, 0, next, 6).ok());
  ASSERT_TRUE(zr.ok() && c->Wait(**zr, "empty recv").ok());
  EXPECT_FALSE(c->ISend(send.data(), 4, me, 0).ok()) << "sending to oneself is an error";
  EXPECT_FALSE(c->ISend(send.data(), 4, p, 0).ok()) << "no such rank";
}

INSTANTIATE_TEST_SUITE_P(Pieces, CommunicatorTest, ::testing::Values(int64_t{1} << 30, int64_t{7}));

TEST(Communicator, SplitGroupsKnowTheirWorldRanks) {
  auto c = World();
  const int p = c->size(), me = c->rank();
  auto sub = c->Split(me % 2, me);
  ASSERT_TRUE(sub.ok());
  Communicator& s = **sub;
  EXPECT_EQ(s.size(), (p + 1 - me % 2) / 2);
  EXPECT_EQ(s.rank(), me / 2);
  for (int r = 0; r < s.size(); ++r) EXPECT_EQ(s.world_rank(r), 2 * r + me % 2);
  float v = static_cast<float>(me);
  ASSERT_TRUE(s.AllReduceSum(&v, 1).ok());
  float expect = 0;
  for (int r = me % 2; r < p; r += 2) expect += static_cast<float>(r);
  EXPECT_EQ(v, expect);
}

// A rank that stays away from a collective: the others' wait ends after the
// timeout with an error naming it, instead of hanging.
TEST(Communicator, TimeoutNamesTheRankThatDoesNotAnswer) {
  auto c = World();
  const int p = c->size(), me = c->rank();
  if (p < 2) GTEST_SKIP() << "needs 2 ranks";
  if (me == 1) {
    std::this_thread::sleep_for(std::chrono::seconds(4));  // busy outside communication
    float v = 1;
    ASSERT_TRUE(c->AllReduceSum(&v, 1).ok());
    return;
  }
  c->set_timeout_s(0.5);
  float v = 1;
  auto r = c->IAllReduceSum(&v, 1);  // completes when rank 1 arrives
  ASSERT_TRUE(r.ok());
  const auto start = std::chrono::steady_clock::now();
  Status s = c->Wait(**r, "all-reduce");
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no answer from rank 1 "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("all-reduce on rank " + std::to_string(me) + " did not complete"), std::string::npos) << s.message();
  EXPECT_LT(took, 3.5) << "timeout 0.5 s plus a grace of 1 s";
  c->set_timeout_s(60);
  EXPECT_TRUE(c->Wait(**r, "all-reduce").ok()) << "rank 1 arrives after 4 s";
  EXPECT_EQ(v, p);
}

// A blocking collective that times out returns its error at once: the
// cleanup of its unfinished request does not wait for the silent rank (it
// did, and `mpirun seek train` with a stopped rank hung forever). The
// abandoned request still owns its buffer, so when the rank comes back the
// collective completes without writing into freed memory. (From here on
// this process counts as failing: the tests after it wait for every request
// they make, so that changes nothing for them.)
TEST(Communicator, TimedOutBlockingCollectiveReturnsAtOnce) {
  auto c = World();
  const int p = c->size(), me = c->rank();
  if (p < 2) GTEST_SKIP() << "needs 2 ranks";
  // Every rank's value, from a seed all ranks share.
  std::mt19937_64 g(SharedSeed(*c));
  std::vector<double> values(p);
  for (double& v : values) v = std::uniform_real_distribution<double>(-1, 1)(g);
  const double mine = values[me];
  if (me == 1) {
    std::this_thread::sleep_for(std::chrono::seconds(6));  // busy outside communication
    auto max = c->AllReduceMax(mine);  // meets the other ranks' abandoned collective
    ASSERT_TRUE(max.ok());
    EXPECT_EQ(*max, *std::max_element(values.begin(), values.end()));
    ASSERT_TRUE(c->Barrier().ok());
    return;
  }
  c->set_timeout_s(0.5);
  const auto start = std::chrono::steady_clock::now();
  StatusOr<double> s = c->AllReduceMax(mine);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no answer from rank 1 "), std::string::npos) << s.status().message();
  EXPECT_LT(took, 3.5) << "timeout 0.5 s plus a grace of 1 s, and no wait in the cleanup (rank 1 sleeps 6 s)";
  c->set_timeout_s(60);
  EXPECT_TRUE(c->Barrier().ok()) << "progresses the abandoned collective until rank 1 has met it";
}

}  // namespace
}  // namespace seek
