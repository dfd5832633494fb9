// train/metrics.h — the run's metrics file and its loss plot.
//
// RUN/metrics.jsonl holds one JSON object per line: training lines
// {"step", "loss" (this step's), "loss_avg" (mean since the last line), "lr",
// "grad_norm", "tokens", "tokens_per_s", "mfu", ...}
// and evaluation lines {"step", "val_loss", "val_ppl"}. RUN/loss.png is drawn
// from it with gnuplot (train loss and validation loss against step).
#pragma once

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

class MetricsLog {
 public:
  // Opens RUN/metrics.jsonl for appending. With keep_up_to_step >= 0, first
  // drops lines of later steps (a resumed run rewrites what followed its
  // checkpoint), atomically.
  static StatusOr<MetricsLog> Open(const std::string& run_dir, int64_t keep_up_to_step);
  MetricsLog(MetricsLog&& o) noexcept : path_(std::move(o.path_)), f_(o.f_) { o.f_ = nullptr; }
  ~MetricsLog();
  Status Append(const nlohmann::json& line);
  const std::string& path() const { return path_; }

 private:
  MetricsLog(std::string path, FILE* f) : path_(std::move(path)), f_(f) {}
  std::string path_;
  FILE* f_ = nullptr;
};

// Draws RUN/loss.png from RUN/metrics.jsonl; returns the PNG's path.
StatusOr<std::string> PlotLoss(const std::string& run_dir);

}  // namespace seek
