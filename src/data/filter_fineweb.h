// data/filter_fineweb.h — FineWeb's own quality heuristics (Penedo et al.
// 2024) with the rules, order, reasons and defaults of datatrove's
// FineWebQualityFilter (src/datatrove/pipeline/filters/fineweb_quality_filter.py).
//
// Lines are the text split at "\n", blank ones (str.strip() empty) left out.
//   empty             no line
//   line_punct_ratio  lines ending (unstripped) with one of stop_chars
//                     (default datatrove's TERMINAL_PUNCTUATION) / lines
//                     < line_punct_thr, unless the ratio is 0 and
//                     line_punct_exclude_zero
//   short_line_ratio  lines of at most short_line_length characters / lines
//                     > short_line_thr
//   char_dup_ratio    characters of lines equal to an earlier line /
//                     characters of the text but newlines > char_duplicates_ratio
//   list_ratio        newlines / words > new_line_ratio (words from the
//                     language-aware splitter, data/word_splitter.h)
// Thresholds compare exactly as datatrove's (no value turns a rule off).
// Thread-safety: immutable; Apply may run concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/text_stage.h"

namespace seek {

struct FineWebConfig {
  double line_punct_thr = 0.12;
  bool line_punct_exclude_zero = false;
  std::vector<std::string> stop_chars;  // empty: datatrove's TERMINAL_PUNCTUATION
  double short_line_thr = 0.67;
  int64_t short_line_length = 30;
  double char_duplicates_ratio = 0.01;
  double new_line_ratio = 0.3;
};

class FineWebFilter : public TextStage {
 public:
  explicit FineWebFilter(FineWebConfig config = {}) : config_(std::move(config)) {}
  static StatusOr<FineWebFilter> FromJson(const nlohmann::json& overrides);

  std::string_view name() const override { return "fineweb"; }
  Verdict Apply(Document* doc) const override;
  const FineWebConfig& config() const { return config_; }

 private:
  bool EndsWithStopChar(std::string_view line) const;
  FineWebConfig config_;
};

}  // namespace seek
