// Tests for kernels/activations.h: fast kernels against their Ref twins,
// backward against finite differences of the forward, GELU/SiLU against values
// computed independently from PyTorch's formulas, aliasing, and determinism.
#include "kernels/activations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/threads.h"
#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::RandomVec;

// Sizes: a single element, odd sizes, and one large enough to thread.
const int64_t kSizes[] = {1, 67, 1001, 100003};

// Elementwise |got - want| <= rtol * |want| + atol; reports the worst index.
void ExpectAllClose(const std::vector<float>& got, const std::vector<float>& want, float rtol,
                    float atol, uint64_t seed, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  size_t worst = 0;
  double worst_excess = -1;
  for (size_t i = 0; i < got.size(); ++i) {
    double excess = std::fabs(double(got[i]) - want[i]) - (rtol * std::fabs(want[i]) + atol);
    if (excess > worst_excess) worst_excess = excess, worst = i;
  }
  EXPECT_LE(worst_excess, 0.0) << what << " seed " << seed << " n " << got.size() << " at " << worst
                               << ": got " << got[worst] << " want " << want[worst];
}

using Unary = void (*)(float*, const float*, int64_t);
using UnaryBackward = void (*)(float*, const float*, const float*, int64_t);

void CheckUnaryMatchesRef(Unary fwd, Unary fwd_ref, UnaryBackward bwd, UnaryBackward bwd_ref,
                          const char* name) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (int64_t n : kSizes) {
    auto x = RandomVec(rng, n, 3.f), dout = RandomVec(rng, n);
    std::vector<float> y(n), y_ref(n), dx(n), dx_ref(n);
    fwd(y.data(), x.data(), n);
    fwd_ref(y_ref.data(), x.data(), n);
    ExpectAllClose(y, y_ref, 1e-5f, 1e-6f, seed, name);
    bwd(dx.data(), dout.data(), x.data(), n);
    bwd_ref(dx_ref.data(), dout.data(), x.data(), n);
    ExpectAllClose(dx, dx_ref, 1e-5f, 1e-6f, seed, name);
  }
}

// Central differences of the fast forward, elementwise, against the fast
// backward. h = 3e-3 keeps truncation (~h^2 f''') and rounding (~ulp(f) / h)
// both well under the tolerance.
void CheckUnaryFiniteDifferences(Unary fwd, UnaryBackward bwd, const char* name) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t n = 4001;
  auto x = RandomVec(rng, n, 3.f), dout = RandomVec(rng, n);
  std::vector<float> xp(n), xm(n), yp(n), ym(n), dx(n), fd(n);
  for (int64_t i = 0; i < n; ++i) xp[i] = x[i] + 3e-3f, xm[i] = x[i] - 3e-3f;
  fwd(yp.data(), xp.data(), n);
  fwd(ym.data(), xm.data(), n);
  for (int64_t i = 0; i < n; ++i)
    fd[i] = static_cast<float>(dout[i] * ((double(yp[i]) - ym[i]) / (double(xp[i]) - xm[i])));
  bwd(dx.data(), dout.data(), x.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(dx[i], fd[i], 5e-4 * std::fabs(dout[i]) * (1 + std::fabs(x[i])))
        << name << " seed " << seed << " x " << x[i];
  }
}

// Exact values of PyTorch's formulas, computed in double outside Seek:
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) and x / (1 + exp(-x)).
struct Known {
  float x;
  double gelu, silu;
};
const Known kKnown[] = {
    {-3.0f, -0.0036373920817729943, -0.14227761953270035},
    {-1.0f, -0.15880800939172324, -0.2689414213699951},
    {-0.5f, -0.15428599017485606, -0.1887703343990727},
    {0.5f, 0.34571400982514394, 0.3112296656009273},
    {1.0f, 0.8411919906082768, 0.7310585786300049},
    {2.0f, 1.954597694087775, 1.7615941559557646},
    {3.0f, 2.996362607918227, 2.8577223804672998},
};

TEST(Gelu, MatchesRef) {
  CheckUnaryMatchesRef(GeluForward, GeluForwardRef, GeluBackward, GeluBackwardRef, "gelu");
}

TEST(Gelu, BackwardMatchesFiniteDifferences) {
  CheckUnaryFiniteDifferences(GeluForward, GeluBackward, "gelu");
}

TEST(Gelu, MatchesPyTorchTanhFormulaAtKnownPoints) {
  for (const Known& k : kKnown) {
    float y, y_ref;
    GeluForward(&y, &k.x, 1);
    GeluForwardRef(&y_ref, &k.x, 1);
    EXPECT_NEAR(y, k.gelu, 2e-7 * (1 + std::fabs(k.gelu))) << "x " << k.x;
    EXPECT_NEAR(y_ref, k.gelu, 1e-7 * (1 + std::fabs(k.gelu))) << "x " << k.x;
  }
}

TEST(Gelu, InPlaceMatchesOutOfPlace) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  auto x = RandomVec(rng, 5003, 3.f), dout = RandomVec(rng, 5003);
  std::vector<float> y(x.size()), dx(x.size());
  GeluForward(y.data(), x.data(), x.size());
  GeluBackward(dx.data(), dout.data(), x.data(), x.size());
  auto inplace = x;
  GeluForward(inplace.data(), inplace.data(), inplace.size());
  EXPECT_EQ(inplace, y) << "seed " << seed;
  GeluBackward(dout.data(), dout.data(), x.data(), x.size());
  EXPECT_EQ(dout, dx) << "seed " << seed;
}

TEST(Silu, MatchesRef) {
  CheckUnaryMatchesRef(SiluForward, SiluForwardRef, SiluBackward, SiluBackwardRef, "silu");
}

TEST(Silu, BackwardMatchesFiniteDifferences) {
  CheckUnaryFiniteDifferences(SiluForward, SiluBackward, "silu");
}

TEST(Silu, MatchesFormulaAtKnownPoints) {
  for (const Known& k : kKnown) {
    float y;
    SiluForward(&y, &k.x, 1);
    EXPECT_NEAR(y, k.silu, 2e-7 * (1 + std::fabs(k.silu))) << "x " << k.x;
  }
}

TEST(SwiGlu, MatchesRef) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {7, 67}, {33, 1001}, {64, 1408}};
  for (auto [N, I] : shapes) {
    auto gu = RandomVec(rng, N * 2 * I, 2.f), dout = RandomVec(rng, N * I);
    std::vector<float> y(N * I), y_ref(N * I);
    SwiGluForward(y.data(), gu.data(), N, I);
    SwiGluForwardRef(y_ref.data(), gu.data(), N, I);
    ExpectAllClose(y, y_ref, 1e-5f, 1e-6f, seed, "swiglu forward");
    // Backward overwrites (=): start from different garbage in each buffer.
    auto dgu = RandomVec(rng, N * 2 * I), dgu_ref = RandomVec(rng, N * 2 * I);
    SwiGluBackward(dgu.data(), dout.data(), gu.data(), N, I);
    SwiGluBackwardRef(dgu_ref.data(), dout.data(), gu.data(), N, I);
    ExpectAllClose(dgu, dgu_ref, 1e-5f, 1e-6f, seed, "swiglu backward");
  }
}

TEST(SwiGlu, BackwardMatchesFiniteDifferences) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 3, I = 131;
  auto gu = RandomVec(rng, N * 2 * I, 2.f), dout = RandomVec(rng, N * I);
  std::vector<float> dgu(N * 2 * I);
  SwiGluBackward(dgu.data(), dout.data(), gu.data(), N, I);
  // out[r, i] depends only on gate gu[r, i] and up gu[r, I + i]: perturb all
  // gates (then all ups) at once and difference each output.
  for (int64_t half = 0; half < 2; ++half) {
    auto plus = gu, minus = gu;
    for (int64_t r = 0; r < N; ++r)
      for (int64_t i = 0; i < I; ++i) {
        plus[r * 2 * I + half * I + i] += 3e-3f;
        minus[r * 2 * I + half * I + i] -= 3e-3f;
      }
    std::vector<float> yp(N * I), ym(N * I);
    SwiGluForward(yp.data(), plus.data(), N, I);
    SwiGluForward(ym.data(), minus.data(), N, I);
    for (int64_t r = 0; r < N; ++r)
      for (int64_t i = 0; i < I; ++i) {
        const int64_t j = r * 2 * I + half * I + i;
        double fd = dout[r * I + i] * (double(yp[r * I + i]) - ym[r * I + i]) /
                    (double(plus[j]) - minus[j]);
        EXPECT_NEAR(dgu[j], fd,
                    5e-4 * std::fabs(dout[r * I + i]) * (1 + std::fabs(gu[j])) *
                        (1 + std::fabs(gu[r * 2 * I + (1 - half) * I + i])))
            << (half ? "up" : "gate") << " seed " << seed << " r " << r << " i " << i;
      }
  }
}

TEST(Add, MatchesPlainSumAndAliases) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (int64_t n : {int64_t{1}, int64_t{67}, int64_t{300007}}) {
    auto a = RandomVec(rng, n), b = RandomVec(rng, n);
    std::vector<float> want(n), out(n);
    for (int64_t i = 0; i < n; ++i) want[i] = a[i] + b[i];
    Add(out.data(), a.data(), b.data(), n);
    EXPECT_EQ(out, want) << "seed " << seed;
    auto a2 = a, b2 = b;
    Add(a2.data(), a2.data(), b.data(), n);  // out aliases a
    Add(b2.data(), a.data(), b2.data(), n);  // out aliases b
    EXPECT_EQ(a2, want) << "seed " << seed;
    EXPECT_EQ(b2, want) << "seed " << seed;
  }
}

TEST(BiasBackward, MatchesRefAccumulatesAndIgnoresThreadCount) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {7, 67}, {1000, 5}, {513, 768}};
  for (auto [N, C] : shapes) {
    auto dout = RandomVec(rng, N * C), db = RandomVec(rng, C);  // += onto random values
    auto db_ref = db, db_one = db;
    float scale = 1e-3f;  // the prefill as well as the result: the sum may cancel it
    for (float v : db) scale = std::max(scale, std::fabs(v));
    BiasBackward(db.data(), dout.data(), N, C);
    BiasBackwardRef(db_ref.data(), dout.data(), N, C);
    for (float v : db_ref) scale = std::max(scale, std::fabs(v));
    EXPECT_LE(testing::MaxAbsDiff(db, db_ref), 1e-6f * scale)
        << "seed " << seed << " N " << N << " C " << C;
    const int saved = NumThreads();
    SetNumThreads(1);
    BiasBackward(db_one.data(), dout.data(), N, C);
    SetNumThreads(saved);
    EXPECT_EQ(db_one, db) << "seed " << seed << " N " << N << " C " << C;
  }
}

TEST(BiasBackward, ConstantRowsSumToNTimesRow) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 777, C = 19;
  auto row = RandomVec(rng, C), db0 = RandomVec(rng, C);
  std::vector<float> dout(N * C);
  for (int64_t r = 0; r < N; ++r) std::copy(row.begin(), row.end(), dout.begin() + r * C);
  auto db = db0;
  BiasBackward(db.data(), dout.data(), N, C);
  for (int64_t c = 0; c < C; ++c)
    EXPECT_NEAR(db[c], db0[c] + double(N) * row[c], 1e-6 * N * (1 + std::fabs(row[c])))
        << "seed " << seed;
}

}  // namespace
}  // namespace seek
