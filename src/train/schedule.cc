#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace seek {

StatusOr<ScheduleKind> ParseScheduleKind(const std::string& name) {
  if (name == "cosine") return ScheduleKind::kCosine;
  if (name == "constant") return ScheduleKind::kConstant;
  if (name == "wsd") return ScheduleKind::kWsd;
  if (name == "multistep") return ScheduleKind::kMultiStep;
  return InvalidArgumentError("schedule '{}' is not one of cosine, constant, wsd, multistep", name);
}

std::string ScheduleKindName(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kCosine: return "cosine";
    case ScheduleKind::kConstant: return "constant";
    case ScheduleKind::kWsd: return "wsd";
    case ScheduleKind::kMultiStep: return "multistep";
  }
  return "?";
}

double LrAt(const ScheduleConfig& c, int64_t s) {
  if (c.warmup_steps > 0 && s < c.warmup_steps)
    return c.max_lr * static_cast<double>(s + 1) / static_cast<double>(c.warmup_steps);
  const int64_t total = c.total_steps;
  switch (c.kind) {
    case ScheduleKind::kConstant: return c.max_lr;
    case ScheduleKind::kCosine: {
      double progress = static_cast<double>(s - c.warmup_steps) /
                        static_cast<double>(std::max<int64_t>(1, total - c.warmup_steps));
      progress = std::clamp(progress, 0.0, 1.0);
      return c.min_lr + 0.5 * (c.max_lr - c.min_lr) * (1.0 + std::cos(M_PI * progress));
    }
    case ScheduleKind::kWsd: {
      const int64_t decay_start =
          total - static_cast<int64_t>(std::llround(c.decay_fraction * static_cast<double>(total)));
      if (s < decay_start) return c.max_lr;
      double progress = static_cast<double>(s - decay_start) /
                        static_cast<double>(std::max<int64_t>(1, total - decay_start));
      return c.max_lr - (c.max_lr - c.min_lr) * std::min(progress, 1.0);
    }
    case ScheduleKind::kMultiStep: {
      double lr = c.max_lr;
      for (size_t i = 0; i < c.milestones.size() && i < c.factors.size(); ++i)
        if (s >= std::llround(c.milestones[i] * static_cast<double>(total)))
          lr = c.max_lr * c.factors[i];
      return lr;
    }
  }
  return c.max_lr;
}

}  // namespace seek
