#include "train/optimizer.h"

#include <algorithm>
#include <cmath>

#include "kernels/adamw.h"

namespace seek {

bool AdamWOptimizer::Decays(const ParamInfo& p, const OptimSection& c) {
  switch (p.kind) {
    case ParamKind::kMatrix: return true;
    case ParamKind::kEmbedding: return c.decay_embeddings;
    case ParamKind::kNormWeight:
    case ParamKind::kBias: return c.decay_norms_and_biases;
  }
  return false;
}

AdamWOptimizer::AdamWOptimizer(const ParamStore& store, const OptimSection& config)
    : AdamWOptimizer(store, config, 0, store.size()) {}

AdamWOptimizer::AdamWOptimizer(const ParamStore& store, const OptimSection& config, int64_t begin,
                               int64_t end)
    : config_(config),
      begin_(begin),
      size_(end - begin),
      m_(static_cast<size_t>(end - begin) * sizeof(float)),
      v_(static_cast<size_t>(end - begin) * sizeof(float)) {
  // Adjacent tensors with the same decay merge into one range: a handful of
  // kernel calls per step instead of one per tensor. Ranges are cut to [begin, end).
  for (const ParamInfo& p : store.infos()) {
    const int64_t b = std::max(begin, p.offset), e = std::min(end, p.offset + p.numel());
    if (b >= e) continue;
    const bool decay = Decays(p, config);
    if (!ranges_.empty() && ranges_.back().decay == decay) {
      ranges_.back().end = e;
    } else {
      ranges_.push_back(Range{b, e, decay});
    }
  }
}

AdamWOptimizer::Clip AdamWOptimizer::ClipFactor(const ParamStore& store, double max_norm, double unscale) const {
  return ClipFromSumOfSquares(SumOfSquares(store.grad(), store.size()), max_norm, unscale);
}

AdamWOptimizer::Clip AdamWOptimizer::ClipFromSumOfSquares(double sum_of_squares, double max_norm,
                                                          double unscale) {
  Clip c;
  c.norm = std::sqrt(sum_of_squares) * unscale;
  if (!std::isfinite(c.norm)) return c;  // the step will be skipped
  double coef = unscale;
  if (max_norm > 0 && max_norm / (c.norm + 1e-6) < 1.0) coef *= max_norm / (c.norm + 1e-6);
  c.grad_scale = static_cast<float>(coef);
  return c;
}

void AdamWOptimizer::Step(ParamStore* store, double lr, float grad_scale) {
  ++step_;
  for (const Range& r : ranges_) {
    AdamWParams p{lr, config_.beta1, config_.beta2, config_.eps,
                  r.decay ? config_.weight_decay : 0.0, step_, grad_scale};
    AdamWUpdate(store->data() + r.begin, store->grad() + r.begin, m() + (r.begin - begin_), v() + (r.begin - begin_),
                r.end - r.begin, p);
  }
}

}  // namespace seek
