// Tests for kernels/norms.h: fast LayerNorm/RMSNorm against their Ref twins,
// against their own forward by finite differences, and against analytic facts
// (normalised rows have mean 0 / variance 1, or RMS 1).
#include "kernels/norms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core/threads.h"
#include "test_util.h"

namespace seek {
namespace {

using testing::FreshSeed;
using testing::MaxRelDiff;
using testing::RandomVec;

struct Shape {
  int64_t n, c;
};
// Odd sizes, a single row, one column, and shapes large enough to thread.
const Shape kShapes[] = {{1, 1}, {1, 67}, {7, 67}, {256, 384}, {33, 4096}, {300, 5}};

// Sets the OpenMP thread count for one scope.
class ScopedThreads {
 public:
  explicit ScopedThreads(int n) : saved_(NumThreads()) { SetNumThreads(n); }
  ~ScopedThreads() { SetNumThreads(saved_); }

 private:
  int saved_;
};

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}
double Norm(const std::vector<float>& a) {
  return std::sqrt(Dot(a, a));
}

// Largest |rstd[r] * dout[r, c] * weight[c]|: the size of the terms whose
// difference is dinp. When a row is nearly constant (C = 1, say) rstd is huge
// and dinp is a small difference of large terms, so errors scale with this.
float TermScale(const std::vector<float>& dout, const std::vector<float>& w,
                const std::vector<float>& rstd) {
  const size_t C = w.size();
  float m = 0;
  for (size_t i = 0; i < dout.size(); ++i)
    m = std::max(m, std::fabs(rstd[i / C] * dout[i] * w[i % C]));
  return m;
}

// |got - want| <= tol * scale, scale = max(|want|, |before|, term_scale) over
// all elements. Gradients accumulate onto `before` (the prefilled buffer): when
// the increment cancels the prefill, |want| is small but the rounding is not.
void ExpectGradNear(const std::vector<float>& got, const std::vector<float>& want,
                    const std::vector<float>& before, float term_scale, float tol,
                    const ::testing::Message& where) {
  float scale = term_scale;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  for (float v : before) scale = std::max(scale, std::fabs(v));
  EXPECT_LE(testing::MaxAbsDiff(got, want), tol * scale) << where;
}

// Central difference of loss() along a random direction of *x, compared with
// <grad, x+ - x->. loss() is evaluated in f32 by the kernels, so the tolerance
// is relative to the Cauchy-Schwarz bound |grad| |delta| (never ~0 by chance).
void ExpectDirectionalDerivative(std::vector<float>* x, const std::vector<float>& grad,
                                 const std::function<double()>& loss, Rng& rng, uint64_t seed,
                                 const char* what) {
  const std::vector<float> x0 = *x;
  const std::vector<float> dir = RandomVec(rng, x0.size());
  const float h = 1e-3f;
  std::vector<float> xp(x0.size()), xm(x0.size()), delta(x0.size());
  for (size_t i = 0; i < x0.size(); ++i) {
    xp[i] = x0[i] + h * dir[i];
    xm[i] = x0[i] - h * dir[i];
    delta[i] = xp[i] - xm[i];  // the perturbation actually applied (exact in f32)
  }
  *x = xp;
  const double lp = loss();
  *x = xm;
  const double lm = loss();
  *x = x0;
  const double fd = lp - lm, analytic = Dot(grad, delta);
  EXPECT_NEAR(fd, analytic, 1e-4 * Norm(grad) * Norm(delta))
      << what << " seed " << seed << " fd " << fd << " analytic " << analytic;
}

TEST(LayerNorm, ForwardMatchesRef) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Shape& s : kShapes) {
    // An offset mean checks that the variance does not cancel catastrophically.
    auto inp = RandomVec(rng, s.n * s.c, 2.f);
    for (auto& v : inp) v += 3.f;
    auto w = RandomVec(rng, s.c), b = RandomVec(rng, s.c);
    for (bool with_bias : {true, false}) {
      std::vector<float> out(s.n * s.c), mean(s.n), rstd(s.n);
      auto out_ref = out, mean_ref = mean, rstd_ref = rstd;
      const float* bias = with_bias ? b.data() : nullptr;
      LayerNormForward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), bias, s.n, s.c,
                       1e-5f);
      LayerNormForwardRef(out_ref.data(), mean_ref.data(), rstd_ref.data(), inp.data(), w.data(),
                          bias, s.n, s.c, 1e-5f);
      const auto where = ::testing::Message() << "seed " << seed << " N " << s.n << " C " << s.c
                                              << " bias " << with_bias;
      EXPECT_LT(MaxRelDiff(out, out_ref), 1e-5f) << where;
      EXPECT_LT(MaxRelDiff(mean, mean_ref), 1e-6f) << where;
      EXPECT_LT(MaxRelDiff(rstd, rstd_ref), 1e-5f) << where;
    }
  }
}

TEST(LayerNorm, BackwardMatchesRefAndAccumulates) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Shape& s : kShapes) {
    auto inp = RandomVec(rng, s.n * s.c, 2.f), w = RandomVec(rng, s.c), b = RandomVec(rng, s.c);
    std::vector<float> out(s.n * s.c), mean(s.n), rstd(s.n);
    LayerNormForward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), s.n, s.c,
                     1e-5f);
    auto dout = RandomVec(rng, s.n * s.c);
    for (bool with_bias : {true, false}) {
      // Gradients accumulate (+=): both kernels start from the same random buffers.
      auto dinp = RandomVec(rng, s.n * s.c), dw = RandomVec(rng, s.c), db = RandomVec(rng, s.c);
      const auto dinp_before = dinp, dw_before = dw, db_before = db;
      auto dinp_ref = dinp, dw_ref = dw, db_ref = db;
      LayerNormBackward(dinp.data(), dw.data(), with_bias ? db.data() : nullptr, dout.data(),
                        inp.data(), w.data(), mean.data(), rstd.data(), s.n, s.c);
      LayerNormBackwardRef(dinp_ref.data(), dw_ref.data(), with_bias ? db_ref.data() : nullptr,
                           dout.data(), inp.data(), w.data(), mean.data(), rstd.data(), s.n, s.c);
      const auto where = ::testing::Message() << "seed " << seed << " N " << s.n << " C " << s.c
                                              << " bias " << with_bias;
      ExpectGradNear(dinp, dinp_ref, dinp_before, TermScale(dout, w, rstd), 1e-5f, where);
      ExpectGradNear(dw, dw_ref, dw_before, 0.f, 1e-5f, where);
      ExpectGradNear(db, db_ref, db_before, 0.f, 1e-5f, where);
      if (!with_bias) {
        EXPECT_EQ(db, db_before) << "null dbias must not be written";
      }
    }
  }
}

TEST(LayerNorm, RowsHaveZeroMeanAndUnitVariance) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 9, C = 257;
  auto inp = RandomVec(rng, N * C, 5.f);
  for (auto& v : inp) v -= 7.f;
  std::vector<float> w(C, 1.f), b(C, 0.f), out(N * C), mean(N), rstd(N);
  LayerNormForward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), N, C,
                   1e-6f);
  for (int64_t r = 0; r < N; ++r) {
    double m = 0, v = 0;
    for (int64_t c = 0; c < C; ++c) m += out[r * C + c];
    m /= C;
    for (int64_t c = 0; c < C; ++c) v += (out[r * C + c] - m) * (out[r * C + c] - m);
    v /= C;
    EXPECT_NEAR(m, 0.0, 1e-6) << "seed " << seed << " row " << r;
    EXPECT_NEAR(v, 1.0, 1e-5) << "seed " << seed << " row " << r;
  }
}

TEST(LayerNorm, BackwardMatchesFiniteDifferences) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 5, C = 67;
  auto inp = RandomVec(rng, N * C, 2.f), w = RandomVec(rng, C), b = RandomVec(rng, C);
  auto g = RandomVec(rng, N * C);  // loss = sum(g * out)
  std::vector<float> out(N * C), mean(N), rstd(N);
  auto loss = [&] {
    LayerNormForward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), N, C,
                     1e-5f);
    return Dot(g, out);
  };
  loss();
  std::vector<float> dinp(N * C, 0.f), dw(C, 0.f), db(C, 0.f);
  LayerNormBackward(dinp.data(), dw.data(), db.data(), g.data(), inp.data(), w.data(), mean.data(),
                    rstd.data(), N, C);
  ExpectDirectionalDerivative(&inp, dinp, loss, rng, seed, "dinp");
  ExpectDirectionalDerivative(&w, dw, loss, rng, seed, "dweight");
  ExpectDirectionalDerivative(&b, db, loss, rng, seed, "dbias");
}

TEST(LayerNorm, BackwardIsBitwiseIndependentOfThreadCount) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 515, C = 384;
  auto inp = RandomVec(rng, N * C), w = RandomVec(rng, C), b = RandomVec(rng, C);
  auto dout = RandomVec(rng, N * C);
  std::vector<float> out(N * C), mean(N), rstd(N);
  LayerNormForward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), N, C,
                   1e-5f);
  auto run = [&](int threads, std::vector<float>* dinp, std::vector<float>* dw,
                 std::vector<float>* db) {
    ScopedThreads scoped(threads);
    *dinp = std::vector<float>(N * C, 0.5f);
    *dw = std::vector<float>(C, 0.25f);
    *db = std::vector<float>(C, -0.25f);
    LayerNormBackward(dinp->data(), dw->data(), db->data(), dout.data(), inp.data(), w.data(),
                      mean.data(), rstd.data(), N, C);
  };
  std::vector<float> dinp1, dw1, db1, dinp2, dw2, db2;
  run(1, &dinp1, &dw1, &db1);
  run(std::max(2, NumThreads()), &dinp2, &dw2, &db2);
  EXPECT_EQ(dinp1, dinp2) << "seed " << seed;
  EXPECT_EQ(dw1, dw2) << "seed " << seed;
  EXPECT_EQ(db1, db2) << "seed " << seed;
}

TEST(RmsNorm, ForwardMatchesRef) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Shape& s : kShapes) {
    auto inp = RandomVec(rng, s.n * s.c, 2.f), w = RandomVec(rng, s.c);
    std::vector<float> out(s.n * s.c), rstd(s.n);
    auto out_ref = out, rstd_ref = rstd;
    RmsNormForward(out.data(), rstd.data(), inp.data(), w.data(), s.n, s.c, 1e-6f);
    RmsNormForwardRef(out_ref.data(), rstd_ref.data(), inp.data(), w.data(), s.n, s.c, 1e-6f);
    EXPECT_LT(MaxRelDiff(out, out_ref), 1e-5f) << "seed " << seed << " N " << s.n << " C " << s.c;
    EXPECT_LT(MaxRelDiff(rstd, rstd_ref), 1e-5f) << "seed " << seed << " N " << s.n << " C " << s.c;
  }
}

TEST(RmsNorm, BackwardMatchesRefAndAccumulates) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  for (const Shape& s : kShapes) {
    auto inp = RandomVec(rng, s.n * s.c, 2.f), w = RandomVec(rng, s.c);
    std::vector<float> out(s.n * s.c), rstd(s.n);
    RmsNormForward(out.data(), rstd.data(), inp.data(), w.data(), s.n, s.c, 1e-6f);
    auto dout = RandomVec(rng, s.n * s.c);
    auto dinp = RandomVec(rng, s.n * s.c), dw = RandomVec(rng, s.c);
    const auto dinp_before = dinp, dw_before = dw;
    auto dinp_ref = dinp, dw_ref = dw;
    RmsNormBackward(dinp.data(), dw.data(), dout.data(), inp.data(), w.data(), rstd.data(), s.n,
                    s.c);
    RmsNormBackwardRef(dinp_ref.data(), dw_ref.data(), dout.data(), inp.data(), w.data(),
                       rstd.data(), s.n, s.c);
    const auto where = ::testing::Message() << "seed " << seed << " N " << s.n << " C " << s.c;
    ExpectGradNear(dinp, dinp_ref, dinp_before, TermScale(dout, w, rstd), 1e-5f, where);
    ExpectGradNear(dw, dw_ref, dw_before, 0.f, 1e-5f, where);
  }
}

TEST(RmsNorm, RowsHaveUnitRms) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 9, C = 257;
  auto inp = RandomVec(rng, N * C, 5.f);
  std::vector<float> w(C, 1.f), out(N * C), rstd(N);
  RmsNormForward(out.data(), rstd.data(), inp.data(), w.data(), N, C, 1e-6f);
  for (int64_t r = 0; r < N; ++r) {
    double ss = 0;
    for (int64_t c = 0; c < C; ++c) ss += static_cast<double>(out[r * C + c]) * out[r * C + c];
    EXPECT_NEAR(ss / C, 1.0, 1e-5) << "seed " << seed << " row " << r;
  }
}

TEST(RmsNorm, BackwardMatchesFiniteDifferences) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 5, C = 67;
  auto inp = RandomVec(rng, N * C, 2.f), w = RandomVec(rng, C), g = RandomVec(rng, N * C);
  std::vector<float> out(N * C), rstd(N);
  auto loss = [&] {
    RmsNormForward(out.data(), rstd.data(), inp.data(), w.data(), N, C, 1e-6f);
    return Dot(g, out);
  };
  loss();
  std::vector<float> dinp(N * C, 0.f), dw(C, 0.f);
  RmsNormBackward(dinp.data(), dw.data(), g.data(), inp.data(), w.data(), rstd.data(), N, C);
  ExpectDirectionalDerivative(&inp, dinp, loss, rng, seed, "dinp");
  ExpectDirectionalDerivative(&w, dw, loss, rng, seed, "dweight");
}

TEST(RmsNorm, BackwardIsBitwiseIndependentOfThreadCount) {
  uint64_t seed = FreshSeed();
  Rng rng(seed);
  const int64_t N = 515, C = 384;
  auto inp = RandomVec(rng, N * C), w = RandomVec(rng, C), dout = RandomVec(rng, N * C);
  std::vector<float> out(N * C), rstd(N);
  RmsNormForward(out.data(), rstd.data(), inp.data(), w.data(), N, C, 1e-6f);
  auto run = [&](int threads, std::vector<float>* dinp, std::vector<float>* dw) {
    ScopedThreads scoped(threads);
    *dinp = std::vector<float>(N * C, 0.5f);
    *dw = std::vector<float>(C, 0.25f);
    RmsNormBackward(dinp->data(), dw->data(), dout.data(), inp.data(), w.data(), rstd.data(), N, C);
  };
  std::vector<float> dinp1, dw1, dinp2, dw2;
  run(1, &dinp1, &dw1);
  run(std::max(2, NumThreads()), &dinp2, &dw2);
  EXPECT_EQ(dinp1, dinp2) << "seed " << seed;
  EXPECT_EQ(dw1, dw2) << "seed " << seed;
}

}  // namespace
}  // namespace seek

namespace seek {
namespace {

// The residual add fused into the forward kernels: bitwise an add pass and
// then the plain kernel, with the sum stored separately or over the input,
// for LayerNorm (with and without bias) and RMSNorm, f32 and 16-bit outputs.
TEST(Norms, FusedResidualAddIsTheAddThenTheNorm) {
  const uint64_t seed = FreshSeed();
  Rng rng(seed);
  const float eps = 1e-5f;
  for (const Shape& s : kShapes) {
    const int64_t n = s.n * s.c;
    const auto x = RandomVec(rng, n, 3.f), add = RandomVec(rng, n, 3.f);
    const auto w = RandomVec(rng, s.c), b = RandomVec(rng, s.c);
    std::vector<float> sum(n);
    for (int64_t i = 0; i < n; ++i) sum[i] = x[i] + add[i];
    const std::string where = std::to_string(s.n) + "x" + std::to_string(s.c) + " seed " + std::to_string(seed);
    for (int kind = 0; kind < 3; ++kind) {  // LayerNorm, LayerNorm without bias, RMSNorm
      for (Precision p : {Precision::kF32, Precision::kBf16, Precision::kF16}) {
        // out: f32, or 16-bit halves at the start of it.
        auto run = [&](const float* inp, ResidualAdd r, std::vector<float>* out, std::vector<float>* mean,
                       std::vector<float>* rstd) {
          out->assign(n, 0.f);
          mean->assign(s.n, 0.f);
          rstd->assign(s.n, 0.f);
          uint16_t* o16 = reinterpret_cast<uint16_t*>(out->data());
          const float* bias = kind == 0 ? b.data() : nullptr;
          if (kind < 2 && p == Precision::kF32)
            LayerNormForward(out->data(), mean->data(), rstd->data(), inp, w.data(), bias, s.n, s.c, eps, r);
          else if (kind < 2)
            LayerNormForwardLowp(p, o16, mean->data(), rstd->data(), inp, w.data(), bias, s.n, s.c, eps, r);
          else if (p == Precision::kF32)
            RmsNormForward(out->data(), rstd->data(), inp, w.data(), s.n, s.c, eps, r);
          else
            RmsNormForwardLowp(p, o16, rstd->data(), inp, w.data(), s.n, s.c, eps, r);
        };
        std::vector<float> want, want_mean, want_rstd, got, got_mean, got_rstd;
        run(sum.data(), {}, &want, &want_mean, &want_rstd);
        std::vector<float> stored(n, 0.f);  // the sum, stored apart
        run(x.data(), ResidualAdd{add.data(), stored.data()}, &got, &got_mean, &got_rstd);
        const std::string tag = where + " kind " + std::to_string(kind) + " " + PrecisionName(p);
        EXPECT_EQ(stored, sum) << tag;
        EXPECT_EQ(got, want) << tag;
        EXPECT_EQ(got_mean, want_mean) << tag;
        EXPECT_EQ(got_rstd, want_rstd) << tag;
        std::vector<float> in_place = x;  // the sum over the input
        run(in_place.data(), ResidualAdd{add.data(), in_place.data()}, &got, &got_mean, &got_rstd);
        EXPECT_EQ(in_place, sum) << tag;
        EXPECT_EQ(got, want) << tag;
        EXPECT_EQ(got_rstd, want_rstd) << tag;
      }
    }
  }
}

}  // namespace
}  // namespace seek
