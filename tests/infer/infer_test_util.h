// Tiny random models for inference tests.
#pragma once

#include <memory>
#include <string>

#include "../model/model_test_util.h"
#include "model/transformer.h"

namespace seek::testing {

// A tiny model of `family` with random weights large enough (std 0.3) that
// logits spread out and greedy choices are not near-ties.
inline std::unique_ptr<Transformer> TinyModel(const std::string& family, uint64_t seed,
                                              int layers = 2, int64_t max_positions = 64) {
  ModelConfig c = TinyConfig(family, false, layers);
  c.max_positions = max_positions;
  c.init_std = 0.3;
  StatusOr<std::unique_ptr<Transformer>> m = Transformer::Create(c);
  if (!m.ok()) std::abort();
  (*m)->params().Initialize(c, seed);
  return std::move(*m);
}

}  // namespace seek::testing
