// bench/bench_util.h — the roofline every benchmark prints itself against:
// oneDNN's f32 GEMM rate on this machine, measured in the same run.
#pragma once

#include "kernels/gemm.h"

namespace seek::bench {

inline double GemmPeakGflops() { return MeasuredGemmGflops(); }

}  // namespace seek::bench
