// kernels/gemm.h — dense matrix multiply through oneDNN: f32, or bf16/fp16 operands.
//
//   C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C[M,N]  (+ bias[N] on every row)
//
// Row-major. op(A) = A stored [M, K] with leading dimension lda, or, with
// trans_a, A stored [K, M] (lda >= M). Likewise B: [K, N] or, with trans_b,
// [N, K]. oneDNN primitives are created once per shape and cached for the
// life of the process (creation costs far more than a small multiply).
// Thread-safety: Gemm may be called from any one thread at a time per
// process (it uses all OpenMP threads itself); the cache is mutex-guarded.
#pragma once

#include <cstdint>

#include "kernels/lowp.h"

namespace seek {

struct GemmShape {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;  // 0: the dense value (k or m, n or k, n)
};

// C = alpha * op(A) op(B) + beta * C (+ bias). A [M,K] or [K,M]; B [K,N] or
// [N,K]; C [M,N]; bias [N] or null (only with alpha == 1). beta is 0 or any value (0 ignores C's
// old contents, NaN included).
void Gemm(const GemmShape& s, float alpha, const float* a, const float* b, float beta, float* c,
          const float* bias = nullptr);

// The same product with A and B stored in 16 bits (kernels/lowp.h; p is
// kBf16 or kF16), accumulated and written in f32: bf16 runs oneDNN's bf16
// kernels (AMX or AVX512-BF16 where the CPU has them); fp16 multiplies exact
// f32 copies of the operands (oneDNN 2.6 has no fp16 matmul on CPUs).
void GemmLowp(Precision p, const GemmShape& s, float alpha, const uint16_t* a, const uint16_t* b,
              float beta, float* c, const float* bias = nullptr);
// Reference twin: the operands widened one by one, then GemmRef.
void GemmLowpRef(Precision p, const GemmShape& s, float alpha, const uint16_t* a, const uint16_t* b,
                 float beta, float* c, const float* bias = nullptr);

// Plain triple loop with double accumulation: the reference twin.
void GemmRef(const GemmShape& s, float alpha, const float* a, const float* b, float beta, float* c,
             const float* bias = nullptr);

// The GEMM rate this machine reaches through oneDNN (GFLOP/s) for a
// precision's multiplies (fp32 and fp16: the f32 rate; bf16: the bf16 rate):
// a 1024^3 multiply, best of several runs, measured once per process. The
// roofline benchmarks print against and the MFU the trainer reports.
double MeasuredGemmGflops(Precision p = Precision::kF32);

// Number of distinct primitives created so far (tests check the cache).
int64_t GemmPrimitiveCount();

}  // namespace seek
