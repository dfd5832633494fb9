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

  // Global 2-norm of the gradients (before clipping); scales them down to
  // max_norm when above it (PyTorch clip_grad_norm_ semantics). max_norm 0: no clip.
  // `unscale` first multiplies the gradients (1 / loss scale: the norm and
  // the clip are those of the unscaled gradients). A non-finite norm is
  // returned with the gradients untouched.
  double ClipGradients(ParamStore* store, double max_norm, double unscale = 1.0) const;
  // One update at learning rate lr; advances step().
  void Step(ParamStore* store, double lr);

  int64_t step() const { return step_; }  // updates taken so far
  void set_step(int64_t s) { step_ = s; }
  float* m() { return static_cast<float*>(m_.data()); }
  float* v() { return static_cast<float*>(v_.data()); }
  const float* m() const { return static_cast<const float*>(m_.data()); }
  const float* v() const { return static_cast<const float*>(v_.data()); }
  int64_t size() const { return size_; }  // floats in each moment buffer (= ParamStore::size)
  // Whether a parameter is weight-decayed under this config.
  static bool Decays(const ParamInfo& p, const OptimSection& config);

 private:
  struct Range {
    int64_t begin, end;
    bool decay;
  };
  OptimSection config_;
  std::vector<Range> ranges_;
  int64_t size_ = 0;
  int64_t step_ = 0;
  AlignedBuffer m_, v_;
};

}  // namespace seek
