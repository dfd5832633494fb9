#include "kernels/gemm.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <vector>
#include <mutex>
#include <tuple>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/check.h"
#include "kernels/lowp.h"

namespace seek {
namespace {

struct Resolved {
  GemmShape s;
  bool has_bias;
  float alpha, beta;
  bool bf16 = false;  // A and B in bf16 (C, bias and accumulation stay f32)
  auto Key() const {
    return std::make_tuple(s.trans_a, s.trans_b, s.m, s.n, s.k, s.lda, s.ldb, s.ldc, has_bias,
                           alpha, beta, bf16);
  }
};

GemmShape Dense(GemmShape s) {
  if (s.lda == 0) s.lda = s.trans_a ? s.m : s.k;
  if (s.ldb == 0) s.ldb = s.trans_b ? s.k : s.n;
  if (s.ldc == 0) s.ldc = s.n;
  return s;
}

struct Cached {
  dnnl::matmul prim;
  dnnl::memory::desc a_md, b_md, c_md, bias_md;
};

class GemmCache {
 public:
  static GemmCache& Get() {
    // Never destroyed: oneDNN's own globals may be gone by the time a static
    // destructor would release these primitives at exit.
    static GemmCache* cache = new GemmCache;
    return *cache;
  }
  dnnl::engine& engine() { return engine_; }
  dnnl::stream& stream() { return stream_; }

  const Cached& Lookup(const Resolved& r) {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = r.Key();
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    using dt = dnnl::memory::data_type;
    const GemmShape& s = r.s;
    Cached c;
    // Logical dims [M,K] x [K,N] -> [M,N]; strides express the transposes.
    const dt in = r.bf16 ? dt::bf16 : dt::f32;
    c.a_md = dnnl::memory::desc({s.m, s.k}, in,
                                s.trans_a ? dnnl::memory::dims{1, s.lda} : dnnl::memory::dims{s.lda, 1});
    c.b_md = dnnl::memory::desc({s.k, s.n}, in,
                                s.trans_b ? dnnl::memory::dims{1, s.ldb} : dnnl::memory::dims{s.ldb, 1});
    c.c_md = dnnl::memory::desc({s.m, s.n}, dt::f32, dnnl::memory::dims{s.ldc, 1});
    if (r.has_bias) c.bias_md = dnnl::memory::desc({1, s.n}, dt::f32, dnnl::memory::dims{s.n, 1});
    dnnl::primitive_attr attr;
    if (r.alpha != 1.f) attr.set_output_scales(0, {r.alpha});
    if (r.beta != 0.f) {
      dnnl::post_ops po;
      po.append_sum(r.beta);
      attr.set_post_ops(po);
    }
    auto desc = r.has_bias ? dnnl::matmul::desc(c.a_md, c.b_md, c.bias_md, c.c_md)
                           : dnnl::matmul::desc(c.a_md, c.b_md, c.c_md);
    dnnl::matmul::primitive_desc pd(desc, attr, engine_);
    c.prim = dnnl::matmul(pd);
    return cache_.emplace(key, std::move(c)).first->second;
  }
  int64_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int64_t>(cache_.size());
  }

 private:
  GemmCache() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}
  std::mutex mu_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::map<decltype(Resolved{}.Key()), Cached> cache_;
};

void CheckShape(const GemmShape& s, float alpha, const float* bias) {
  CHECK(s.m > 0 && s.n > 0 && s.k > 0);
  CHECK_MSG(bias == nullptr || alpha == 1.f, "bias with alpha != 1 is ambiguous; scale first");
  CHECK(s.lda >= (s.trans_a ? s.m : s.k));
  CHECK(s.ldb >= (s.trans_b ? s.k : s.n));
  CHECK(s.ldc >= s.n);
}

void Execute(const Resolved& r, const void* a, const void* b, float* c, const float* bias) {
  CheckShape(r.s, r.alpha, bias);
  GemmCache& cache = GemmCache::Get();
  const Cached& p = cache.Lookup(r);
  auto& eng = cache.engine();
  std::unordered_map<int, dnnl::memory> args;
  args[DNNL_ARG_SRC] = dnnl::memory(p.a_md, eng, const_cast<void*>(a));
  args[DNNL_ARG_WEIGHTS] = dnnl::memory(p.b_md, eng, const_cast<void*>(b));
  args[DNNL_ARG_DST] = dnnl::memory(p.c_md, eng, c);
  if (bias) args[DNNL_ARG_BIAS] = dnnl::memory(p.bias_md, eng, const_cast<float*>(bias));
  p.prim.execute(cache.stream(), args);
  cache.stream().wait();
}

// The f32 copy of a 16-bit operand (fp16: oneDNN 2.6 has no fp16 matmul on
// CPUs; its values are exact in f32, so an f32 multiply of the copies is
// the fp16-storage, fp32-accumulation product).
// Elements of a stored operand of `rows` rows of `cols` used values, `ld`
// apart: the last row ends at its last used value (a window may end there).
int64_t StoredSpan(int64_t rows, int64_t cols, int64_t ld) { return (rows - 1) * ld + cols; }

const float* Widen(Precision p, const uint16_t* x, int64_t n, std::vector<float>* buf) {
  buf->resize(static_cast<size_t>(n));
  FromLowPrecision(p, x, buf->data(), n);
  return buf->data();
}

}  // namespace

void Gemm(const GemmShape& shape, float alpha, const float* a, const float* b, float beta, float* c,
          const float* bias) {
  Execute(Resolved{Dense(shape), bias != nullptr, alpha, beta}, a, b, c, bias);
}

void GemmLowp(Precision p, const GemmShape& shape, float alpha, const uint16_t* a, const uint16_t* b,
              float beta, float* c, const float* bias) {
  CHECK(p != Precision::kF32);
  const GemmShape s = Dense(shape);
  if (p == Precision::kBf16) {
    Execute(Resolved{s, bias != nullptr, alpha, beta, /*bf16=*/true}, a, b, c, bias);
    return;
  }
  thread_local std::vector<float> wa, wb;
  // Storage: A is [M, K] or [K, M] rows lda apart; B is [K, N] or [N, K] rows ldb apart.
  const float* fa = Widen(p, a, StoredSpan(s.trans_a ? s.k : s.m, s.trans_a ? s.m : s.k, s.lda), &wa);
  const float* fb = Widen(p, b, StoredSpan(s.trans_b ? s.n : s.k, s.trans_b ? s.k : s.n, s.ldb), &wb);
  Gemm(s, alpha, fa, fb, beta, c, bias);
}

bool GemmLowpSupported(Precision p) {
  if (p != Precision::kBf16) return true;  // fp32 and fp16 run f32 primitives
  static const bool ok = [] {
    try {
      using dt = dnnl::memory::data_type;
      dnnl::engine eng(dnnl::engine::kind::cpu, 0);
      const dnnl::memory::desc a({16, 16}, dt::bf16, dnnl::memory::dims{16, 1});
      const dnnl::memory::desc c({16, 16}, dt::f32, dnnl::memory::dims{16, 1});
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, a, c), eng);
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return ok;
}

void GemmLowpRef(Precision p, const GemmShape& shape, float alpha, const uint16_t* a, const uint16_t* b,
                 float beta, float* c, const float* bias) {
  const GemmShape s = Dense(shape);
  auto widen = [&](const uint16_t* x, int64_t n) {
    std::vector<float> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out[i] = p == Precision::kBf16 ? FromBf16Ref(x[i]) : FromF16Ref(x[i]);
    return out;
  };
  const std::vector<float> fa = widen(a, StoredSpan(s.trans_a ? s.k : s.m, s.trans_a ? s.m : s.k, s.lda));
  const std::vector<float> fb = widen(b, StoredSpan(s.trans_b ? s.n : s.k, s.trans_b ? s.k : s.n, s.ldb));
  GemmRef(s, alpha, fa.data(), fb.data(), beta, c, bias);
}

void GemmRef(const GemmShape& shape, float alpha, const float* a, const float* b, float beta,
             float* c, const float* bias) {
  GemmShape s = Dense(shape);
  CheckShape(s, alpha, bias);
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < s.k; ++p) {
        float av = s.trans_a ? a[p * s.lda + i] : a[i * s.lda + p];
        float bv = s.trans_b ? b[j * s.ldb + p] : b[p * s.ldb + j];
        acc += static_cast<double>(av) * bv;
      }
      double out = alpha * acc + (bias ? bias[j] : 0.0);
      if (beta != 0.f) out += static_cast<double>(beta) * c[i * s.ldc + j];
      c[i * s.ldc + j] = static_cast<float>(out);
    }
  }
}

double MeasuredGemmGflops(Precision p) {
  // fp16 multiplies run as f32 GEMMs (GemmLowp): they reach the f32 rate.
  const bool bf16 = p == Precision::kBf16;
  static double cache[2] = {0, 0};
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (cache[bf16] > 0) return cache[bf16];
  const int64_t n = 1024;
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
  std::vector<uint16_t> a16(n * n), b16(n * n);
  ToLowPrecision(Precision::kBf16, a.data(), a16.data(), n * n);
  ToLowPrecision(Precision::kBf16, b.data(), b16.data(), n * n);
  const GemmShape s{false, false, n, n, n};
  auto once = [&] {
    if (bf16)
      GemmLowp(Precision::kBf16, s, 1.f, a16.data(), b16.data(), 0.f, c.data());
    else
      Gemm(s, 1.f, a.data(), b.data(), 0.f, c.data());
  };
  // Warm up (primitive creation, page faults, clocks), then the best of
  // runs spread over ~0.3 s: a short burst on a shared machine can land in a
  // slow moment and understate the peak, which would overstate every MFU.
  for (int r = 0; r < 3; ++r) once();
  double best = 1e30;
  for (int r = 0; r < (bf16 ? 100 : 30); ++r) {
    auto t0 = std::chrono::steady_clock::now();
    once();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  cache[bf16] = 2.0 * n * n * n / best / 1e9;
  return cache[bf16];
}

int64_t GemmPrimitiveCount() { return GemmCache::Get().size(); }

}  // namespace seek
