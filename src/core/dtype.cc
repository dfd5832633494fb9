#include "core/dtype.h"

#include <cmath>

namespace seek {

std::string_view DTypeName(DType t) {
  switch (t) {
    case DType::kF32: return "F32";
    case DType::kBF16: return "BF16";
    case DType::kF16: return "F16";
  }
  return "?";
}

bool ParseDType(std::string_view name, DType* out) {
  if (name == "F32") { *out = DType::kF32; return true; }
  if (name == "BF16") { *out = DType::kBF16; return true; }
  if (name == "F16") { *out = DType::kF16; return true; }
  return false;
}

float F16ToF32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: value = mant * 2^-24
      float f = std::ldexp(static_cast<float>(mant), -24);
      std::memcpy(&bits, &f, 4);
      bits |= sign;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t F32ToF16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;       // NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;      // rounds to >= 65520: inf
  if (abs < 0x38800000u) {                            // below 2^-14: subnormal or zero
    float a;
    std::memcpy(&a, &abs, 4);
    float scaled = a * 16777216.0f;  // 2^24: exact, subnormal unit becomes 1
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  uint32_t lsb = (abs >> 13) & 1u;
  abs += 0xfffu + lsb;
  return sign | static_cast<uint16_t>(((abs >> 23) - 112) << 10 | ((abs >> 13) & 0x3ffu));
}

void ConvertDType(const void* src, DType st, void* dst, DType dt, size_t n) {
  if (n == 0) return;  // src and dst may be null for empty tensors
  if (st == dt) {
    std::memcpy(dst, src, n * DTypeSize(st));
    return;
  }
  auto load = [&](size_t i) -> float {
    switch (st) {
      case DType::kF32: return static_cast<const float*>(src)[i];
      case DType::kBF16: return Bf16ToF32(static_cast<const uint16_t*>(src)[i]);
      case DType::kF16: return F16ToF32(static_cast<const uint16_t*>(src)[i]);
    }
    return 0.f;
  };
  for (size_t i = 0; i < n; ++i) {
    float v = load(i);
    switch (dt) {
      case DType::kF32: static_cast<float*>(dst)[i] = v; break;
      case DType::kBF16: static_cast<uint16_t*>(dst)[i] = F32ToBf16(v); break;
      case DType::kF16: static_cast<uint16_t*>(dst)[i] = F32ToF16(v); break;
    }
  }
}

}  // namespace seek
