// train/schedule.h — learning-rate schedules.
//
// LrAt(s) is the learning rate of optimizer step s (0-based). Every schedule
// starts with a linear warmup, lr = max_lr * (s + 1) / warmup_steps for
// s < warmup_steps, then:
//   cosine     min_lr + (max_lr - min_lr) * (1 + cos(pi * progress)) / 2, progress over the rest
//   constant   max_lr
//   wsd        warmup-stable-decay: max_lr until the last decay_fraction of steps, then linear to min_lr
//   multistep  DeepSeek LLM: max_lr times each factor whose milestone (fraction of total) is passed
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace seek {

enum class ScheduleKind { kCosine, kConstant, kWsd, kMultiStep };

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::kCosine;
  double max_lr = 1e-3, min_lr = 1e-4;
  int64_t warmup_steps = 0, total_steps = 1;
  double decay_fraction = 0.2;                  // wsd
  std::vector<double> milestones = {0.8, 0.9};  // multistep, fractions of total_steps
  std::vector<double> factors = {0.316, 0.1};   // multistep, cumulative: lr = max * factors[i]
};

StatusOr<ScheduleKind> ParseScheduleKind(const std::string& name);  // "cosine", ...
std::string ScheduleKindName(ScheduleKind kind);

double LrAt(const ScheduleConfig& c, int64_t step);

}  // namespace seek
