// train/optimizer.h — AdamW over a model's whole ParamStore.
//
// Moments live in two buffers laid out like the parameters (one span each),
// so saving, loading and (later) sharding them is one call. Weight decay is
// applied to matrices; embeddings, norm weights and biases are excluded
// unless the config says otherwise. Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "core/aligned.h"
#include "model/params.h"
#include "train/train_config.h"

namespace seek {

class AdamWOptimizer {
 public:
  AdamWOptimizer(const ParamStore& store, const OptimSection& config);
  // ZeRO-1: state for, and updates of, only the floats [begin, end) of the
  // store (one rank's shard); m() and v() then hold end - begin floats.
  AdamWOptimizer(const ParamStore& store, const OptimSection& config, int64_t begin, int64_t end);

  // The global 2-norm of the unscaled gradients (the gradients times
  // `unscale`, 1 / loss scale) and the factor Step multiplies each gradient
  // by: `unscale`, times max_norm / (norm + 1e-6) when the norm is above
  // max_norm (PyTorch clip_grad_norm_ semantics; max_norm 0: no clip). The
  // gradients are not touched. A non-finite norm means: skip the step.
  struct Clip {
    double norm = 0;
    float grad_scale = 1.f;
  };
  Clip ClipFactor(const ParamStore& store, double max_norm, double unscale = 1.0) const;
  // The same from the squared norm of the scaled gradients (summed over the
  // shards of a sharded step).
  static Clip ClipFromSumOfSquares(double sum_of_squares, double max_norm, double unscale);
  // One update at learning rate lr with each gradient multiplied by
  // grad_scale (ClipFactor's); advances step().
  void Step(ParamStore* store, double lr, float grad_scale = 1.f);

  int64_t step() const { return step_; }  // updates taken so far
  void set_step(int64_t s) { step_ = s; }
  float* m() { return static_cast<float*>(m_.data()); }
  float* v() { return static_cast<float*>(v_.data()); }
  const float* m() const { return static_cast<const float*>(m_.data()); }
  const float* v() const { return static_cast<const float*>(v_.data()); }
  int64_t size() const { return size_; }  // floats in each moment buffer (= ParamStore::size unless sharded)
  int64_t begin() const { return begin_; }  // the first float of the store this state covers
  // Whether a parameter is weight-decayed under this config.
  static bool Decays(const ParamInfo& p, const OptimSection& config);

 private:
  struct Range {
    int64_t begin, end;
    bool decay;
  };
  OptimSection config_;
  std::vector<Range> ranges_;
  int64_t begin_ = 0, size_ = 0;
  int64_t step_ = 0;
  AlignedBuffer m_, v_;
};

}  // namespace seek
