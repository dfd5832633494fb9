#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/dtype.h"
#include "core/random.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threads.h"

namespace seek {
namespace {

StatusOr<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgumentError("field 'n' = {} must be > 0", v);
  return v;
}

Status UseIt(int v, int* out) {
  ASSIGN_OR_RETURN(*out, ParsePositive(v));
  return Status::Ok();
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = InvalidArgumentError("config.json: field '{}' = {}", "n_head", 5);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "InvalidArgument: config.json: field 'n_head' = 5");
  EXPECT_EQ(s.WithContext("loading x").message(), "loading x: config.json: field 'n_head' = 5");
  EXPECT_EQ(s.field(), "");
  const Status f = s.WithField("n_head");
  EXPECT_EQ(f.field(), "n_head");
  EXPECT_EQ(f.message(), s.message());
  EXPECT_EQ(f.WithContext("loading x").field(), "n_head");
  EXPECT_TRUE(Status::Ok().WithField("x").field().empty());
  int out = 0;
  EXPECT_TRUE(UseIt(3, &out).ok());
  EXPECT_EQ(out, 3);
  EXPECT_EQ(UseIt(-1, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out, 3);
}

TEST(DType, Bf16RoundTripAndRounding) {
  Rng rng(std::random_device{}());
  for (int i = 0; i < 10000; ++i) {
    float x = rng.Normal() * 100.f;
    float y = Bf16ToF32(F32ToBf16(x));
    EXPECT_LE(std::fabs(x - y), std::fabs(x) * (1.f / 256.f)) << x;
  }
  // 1 + 2^-8 is exactly half-way between two bf16 values: rounds to even (1.0).
  EXPECT_EQ(Bf16ToF32(F32ToBf16(1.0f + 1.0f / 256.f)), 1.0f);
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(NAN))));
}

TEST(DType, F16RoundTripSubnormalsAndOverflow) {
  // Every finite f16 bit pattern survives f16 -> f32 -> f16.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if (((h >> 10) & 0x1f) == 0x1f) continue;
    EXPECT_EQ(F32ToF16(F16ToF32(static_cast<uint16_t>(h))), h) << h;
  }
  EXPECT_EQ(F16ToF32(F32ToF16(65504.f)), 65504.f);
  EXPECT_TRUE(std::isinf(F16ToF32(F32ToF16(70000.f))));
  EXPECT_EQ(F16ToF32(0x0001), std::ldexp(1.f, -24));
}

TEST(Tensor, ShapeAndAlignment) {
  Tensor t = Tensor::F32({2, 3, 5});
  EXPECT_EQ(t.numel(), 30);
  EXPECT_EQ(t.nbytes(), 120u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % kAlignment, 0u);
  EXPECT_EQ(t.shape().ToString(), "[2, 3, 5]");
  for (int i = 0; i < 30; ++i) EXPECT_EQ(t.f32()[i], 0.f);
  Tensor h(DType::kBF16, {4});
  EXPECT_EQ(h.nbytes(), 8u);
  TensorView v = h;
  EXPECT_EQ(v.dtype(), DType::kBF16);
}

TEST(Threads, ParallelForCoversRangeOnce) {
  std::vector<int> hits(100003, 0);
  ParallelFor(static_cast<int64_t>(hits.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (int h : hits) ASSERT_EQ(h, 1);
}

}  // namespace
}  // namespace seek
