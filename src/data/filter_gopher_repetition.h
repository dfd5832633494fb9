// data/filter_gopher_repetition.h — Gopher's repetition heuristics (Rae et
// al. 2021, table A1) with the rules, order, reasons and defaults of
// datatrove's GopherRepetitionFilter
// (src/datatrove/pipeline/filters/gopher_repetition_filter.py). In order:
//   dup_para_frac       paragraphs (text.strip() split at 2+ newlines) equal
//                       to an earlier one / paragraphs > dup_para_frac
//   dup_para_char_frac  their characters / len(text) > dup_para_char_frac
//   dup_line_frac       lines (text split at runs of newlines; empty first or
//                       last pieces count) equal to an earlier one / lines
//   dup_line_char_frac  their characters / len(text)
//   top_{n}_gram        for each (n, f) in top_n_grams: the most frequent
//                       word n-gram (ties: the one seen first), its length
//                       joined with spaces times its count, / len(text) > f
//   duplicated_{n}_n_grams  for each (n, f) in dup_n_grams: walking the word
//                       n-grams, one equal (as words concatenated without
//                       spaces, as datatrove compares them) to an earlier one
//                       adds its characters and skips n words; / len(text) > f
// Lengths are in code points, as Python's len(). Words come from the
// language-aware splitter (data/word_splitter.h). A fraction of 0 turns one
// of the four line and paragraph rules off (None or 0 in datatrove); an
// n-gram rule is turned off by leaving its n out of its list.
// Thread-safety: immutable; Apply may run concurrently.
#pragma once

#include <utility>
#include <vector>

#include "data/text_stage.h"

namespace seek {

struct GopherRepetitionConfig {
  double dup_line_frac = 0.3;
  double dup_para_frac = 0.3;
  double dup_line_char_frac = 0.2;
  double dup_para_char_frac = 0.2;
  std::vector<std::pair<int, double>> top_n_grams = {{2, 0.2}, {3, 0.18}, {4, 0.16}};
  std::vector<std::pair<int, double>> dup_n_grams = {{5, 0.15}, {6, 0.14}, {7, 0.13},
                                                     {8, 0.12}, {9, 0.11}, {10, 0.10}};
};

class GopherRepetitionFilter : public TextStage {
 public:
  explicit GopherRepetitionFilter(GopherRepetitionConfig config = {}) : config_(std::move(config)) {}
  static StatusOr<GopherRepetitionFilter> FromJson(const nlohmann::json& overrides);

  std::string_view name() const override { return "gopher_repetition"; }
  Verdict Apply(Document* doc) const override;
  const GopherRepetitionConfig& config() const { return config_; }

 private:
  GopherRepetitionConfig config_;
};

}  // namespace seek
