// data/filter_gopher_quality.h — Gopher's quality heuristics (Rae et al.
// 2021, table A1) with the rules, order, reasons and defaults of datatrove's
// GopherQualityFilter (src/datatrove/pipeline/filters/gopher_quality_filter.py).
//
// Words are datatrove's: every non-blank token of the word splitter,
// punctuation included (data/word_splitter.h); "non-symbol words" are those
// with a character outside datatrove's PUNCTUATION_SET. In order:
//   gopher_short_doc / gopher_long_doc        non-symbol words outside [min, max]
//   gopher_below_avg_threshold / ..._above_.. mean length of non-symbol words
//   gopher_too_many_hashes                    count("#") / words > max_symbol_word_ratio
//   gopher_too_many_ellipsis                  (count("...") + count("…")) / words > same
//   gopher_too_many_bullets                   lines starting with • or - (after lstrip)
//   gopher_too_many_end_ellipsis              lines ending with ... or … (after rstrip)
//   gopher_below_alpha_threshold              words with a letter / words < max_non_alpha_words_ratio
//   gopher_enough_stop_words                  distinct stop words present < min_stop_words
// A threshold of 0 turns its rule off (None or 0 in datatrove); null in JSON
// does the same. Stop words are matched case-sensitively, as datatrove does.
//
// Language awareness (Seek's choice; datatrove applies its thresholds to
// whatever language it is configured with):
//   - the mean-word-length rule is skipped for languages written without
//     spaces (IsNoSpaceLanguage, or unknown language and mostly
//     dictionary-segmented words): their words are 1-3 characters;
//   - the stop-word rule applies when the document's language is "en", or
//     when it is unknown ("") and stop_words_when_language_unknown is set
//     and the text is not mostly CJK/Thai.
// Thread-safety: immutable; Apply may run concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/text_stage.h"

namespace seek {

struct GopherQualityConfig {
  int64_t min_doc_words = 50;
  int64_t max_doc_words = 100000;
  double min_avg_word_length = 3;
  double max_avg_word_length = 10;
  double max_symbol_word_ratio = 0.1;
  double max_bullet_lines_ratio = 0.9;
  double max_ellipsis_lines_ratio = 0.3;
  double max_non_alpha_words_ratio = 0.8;  // in fact a minimum: words with a letter / words
  int64_t min_stop_words = 2;
  std::vector<std::string> stop_words = {"the", "be", "to", "of", "and", "that", "have", "with"};
  bool stop_words_when_language_unknown = true;
};

class GopherQualityFilter : public TextStage {
 public:
  explicit GopherQualityFilter(GopherQualityConfig config = {});
  static StatusOr<GopherQualityFilter> FromJson(const nlohmann::json& overrides);

  std::string_view name() const override { return "gopher_quality"; }
  Verdict Apply(Document* doc) const override;
  const GopherQualityConfig& config() const { return config_; }

 private:
  GopherQualityConfig config_;
  std::vector<std::vector<std::string>> stop_words_by_size_;  // [byte length] -> words
};

}  // namespace seek
