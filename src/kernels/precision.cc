#include "kernels/precision.h"

namespace seek {

const char* PrecisionName(Precision p) {
  switch (p) {
    case Precision::kF32: return "fp32";
    case Precision::kBf16: return "bf16";
    case Precision::kF16: return "fp16";
  }
  return "?";
}

StatusOr<Precision> ParsePrecision(const std::string& name) {
  if (name == "fp32" || name == "f32") return Precision::kF32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "fp16" || name == "f16") return Precision::kF16;
  return InvalidArgumentError("precision '{}' must be \"fp32\", \"bf16\" or \"fp16\"", name);
}

}  // namespace seek
