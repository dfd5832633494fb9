// kernels/precision.h — the precision a run's matrix multiplies use, by name.
// (Its own file so that config parsers link without the kernels.)
#pragma once

#include <string>

#include "core/status.h"

namespace seek {

// What the matrix multiplies' operands are stored in (kernels/lowp.h).
enum class Precision { kF32, kBf16, kF16 };
const char* PrecisionName(Precision p);  // "fp32", "bf16", "fp16"
StatusOr<Precision> ParsePrecision(const std::string& name);

}  // namespace seek
