// kernels/embedding.h — token (and optional learned position) embedding lookup.
//
// Ids are validated by the caller (the model returns Status for ids out of
// range); the kernel CHECKs them as an invariant.
#pragma once

#include <cstdint>

namespace seek {

// out: [N, C] = wte[ids[n]] (+ wpe[pos[n]] when wpe is not null).
// ids, pos: [N] int32; wte: [V, C]; wpe: [P, C].
void EmbeddingForward(float* out, const int32_t* ids, const int32_t* pos, const float* wte,
                      const float* wpe, int64_t N, int64_t C, int64_t V, int64_t P);
// dwte[ids[n]] += dout[n]; dwpe[pos[n]] += dout[n] (when dwpe not null).
// Deterministic: no atomics; threads split the channel dimension.
void EmbeddingBackward(float* dwte, float* dwpe, const float* dout, const int32_t* ids,
                       const int32_t* pos, int64_t N, int64_t C);
void EmbeddingBackwardRef(float* dwte, float* dwpe, const float* dout, const int32_t* ids,
                          const int32_t* pos, int64_t N, int64_t C);

}  // namespace seek
