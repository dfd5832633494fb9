// core/dtype.h — element types and the conversions between them.
//
// f32 is the math type today; bf16 and f16 are storage types (safetensors
// I/O, later mixed precision). Conversions round to nearest even.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace seek {

enum class DType : uint8_t { kF32 = 0, kBF16 = 1, kF16 = 2 };

inline constexpr size_t DTypeSize(DType t) { return t == DType::kF32 ? 4 : 2; }
// The names safetensors uses: "F32", "BF16", "F16".
std::string_view DTypeName(DType t);
// Parses a safetensors dtype name; false when it is not one Seek supports.
bool ParseDType(std::string_view name, DType* out);

inline float Bf16ToF32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t F32ToBf16(float f) {  // round to nearest even; NaN stays NaN
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  uint32_t lsb = (bits >> 16) & 1u;
  bits += 0x7fffu + lsb;
  return static_cast<uint16_t>(bits >> 16);
}

float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);  // round to nearest even, overflow to inf

// Converts n elements between any two dtypes (same dtype: memcpy).
void ConvertDType(const void* src, DType src_type, void* dst, DType dst_type, size_t n);

}  // namespace seek
