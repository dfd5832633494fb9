// tokenizer/bpe_trainer_progress.h — the trainer's progress line on stderr.
//
// Update() redraws one line ("\r" on a terminal, at most 5 times a second;
// a new line at most every 10 s otherwise, so logs stay short) with the
// done/total figures, the rate and an ETA. Thread-compatible: call from one
// thread at a time.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace seek::bpe_internal {

class ProgressLine {
 public:
  // `what` names the phase ("counting"); `unit_scale` divides done/total for
  // display (1e6 for MB) and `unit` names the result ("MB", "merges").
  ProgressLine(bool enabled, std::string what, double unit_scale, std::string unit)
      : enabled_(enabled),
        tty_(isatty(STDERR_FILENO)),
        what_(std::move(what)),
        scale_(unit_scale),
        unit_(std::move(unit)),
        start_(Clock::now()),
        last_(start_) {}

  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void Update(int64_t done, int64_t total, bool force = false) {
    if (!enabled_) return;
    const auto now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (!force && since < (tty_ ? 0.2 : 10.0)) return;
    last_ = now;
    const double s = std::max(Seconds(), 1e-9);
    const double rate = done / s;
    const double eta = rate > 0 ? (total - done) / rate : 0;
    const int digits = scale_ == 1 ? 0 : 1;  // counts print whole, scaled sizes with one decimal
    std::fprintf(stderr, "%s%s: %.*f/%.*f %s, %.*f %s/s, ETA %.0fs   %s", tty_ ? "\r" : "",
                 what_.c_str(), digits, done / scale_, digits, total / scale_, unit_.c_str(),
                 digits, rate / scale_, unit_.c_str(), eta, tty_ ? "" : "\n");
    std::fflush(stderr);
  }

  // Draws the final state and ends the line.
  void Finish(int64_t done, int64_t total) {
    if (!enabled_) return;
    Update(done, total, /*force=*/true);
    if (tty_) std::fprintf(stderr, "\n");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_, tty_;
  std::string what_;
  double scale_;
  std::string unit_;
  Clock::time_point start_, last_;
};

}  // namespace seek::bpe_internal
