// data/filter_gopher_quality.cc — see filter_gopher_quality.h.
#include "data/filter_gopher_quality.h"

#include <algorithm>

#include "data/py_text.h"
#include "data/stage_config.h"
#include "data/word_splitter.h"

namespace seek {
namespace {

struct WordStats {
  size_t words = 0;
  size_t non_symbol_words = 0;
  size_t non_symbol_chars = 0;  // code points in non-symbol words
  size_t alpha_words = 0;       // words with at least one letter
};

WordStats CountWords(const std::vector<std::string_view>& words) {
  WordStats s;
  s.words = words.size();
  for (std::string_view w : words) {
    bool non_symbol = false, alpha = false;
    size_t chars = 0, len;
    for (size_t i = 0; i < w.size(); i += len, ++chars) {
      const uint32_t cp = CodePointAt(w, i, &len);
      non_symbol |= !IsDatatrovePunctuation(cp);
      alpha |= IsPyAlpha(cp);
    }
    if (non_symbol) {
      ++s.non_symbol_words;
      s.non_symbol_chars += chars;
    }
    s.alpha_words += alpha;
  }
  return s;
}

bool StartsWithBullet(std::string_view line) {
  line = PyLStrip(line);
  return line.starts_with("\xE2\x80\xA2") || line.starts_with("-");  // • or -
}

bool EndsWithEllipsis(std::string_view line) {
  line = PyRStrip(line);
  return line.ends_with("...") || line.ends_with("\xE2\x80\xA6");  // ... or …
}

}  // namespace

GopherQualityFilter::GopherQualityFilter(GopherQualityConfig config) : config_(std::move(config)) {
  for (const std::string& w : config_.stop_words) {
    if (w.size() >= stop_words_by_size_.size()) stop_words_by_size_.resize(w.size() + 1);
    auto& bucket = stop_words_by_size_[w.size()];
    if (std::find(bucket.begin(), bucket.end(), w) == bucket.end()) bucket.push_back(w);
  }
}

StatusOr<GopherQualityFilter> GopherQualityFilter::FromJson(const nlohmann::json& overrides) {
  GopherQualityConfig c;
  ConfigBinder b("gopher_quality");
  b.Int("min_doc_words", &c.min_doc_words, 0)
      .Int("max_doc_words", &c.max_doc_words, 0)
      .Number("min_avg_word_length", &c.min_avg_word_length, 0)
      .Number("max_avg_word_length", &c.max_avg_word_length, 0)
      .Number("max_symbol_word_ratio", &c.max_symbol_word_ratio, 0)
      .Number("max_bullet_lines_ratio", &c.max_bullet_lines_ratio, 0)
      .Number("max_ellipsis_lines_ratio", &c.max_ellipsis_lines_ratio, 0)
      .Number("max_non_alpha_words_ratio", &c.max_non_alpha_words_ratio, 0)
      .Int("min_stop_words", &c.min_stop_words, 0)
      .Strings("stop_words", &c.stop_words)
      .Bool("stop_words_when_language_unknown", &c.stop_words_when_language_unknown);
  RETURN_IF_ERROR(b.Apply(overrides));
  return GopherQualityFilter(std::move(c));
}

Verdict GopherQualityFilter::Apply(Document* doc) const {
  const GopherQualityConfig& c = config_;
  const std::string_view text = doc->text;
  thread_local WordSplit split;
  split.clear();
  SplitWords(text, &split);
  const std::vector<std::string_view>& words = split.words;
  const WordStats s = CountWords(words);
  const bool no_space = TreatAsNoSpace(doc->language, split);

  if (c.min_doc_words && static_cast<int64_t>(s.non_symbol_words) < c.min_doc_words)
    return Verdict::Drop("gopher_short_doc");
  if (c.max_doc_words && static_cast<int64_t>(s.non_symbol_words) > c.max_doc_words)
    return Verdict::Drop("gopher_long_doc");

  // numpy's mean of no words is nan, which no comparison drops.
  if (!no_space && s.non_symbol_words > 0) {
    const double mean = static_cast<double>(s.non_symbol_chars) / static_cast<double>(s.non_symbol_words);
    if (c.min_avg_word_length && mean < c.min_avg_word_length) return Verdict::Drop("gopher_below_avg_threshold");
    if (c.max_avg_word_length && mean > c.max_avg_word_length) return Verdict::Drop("gopher_above_avg_threshold");
  }
  if (s.words == 0) return Verdict::Keep();  // datatrove divides by zero here; no ratio is defined
  const double n_words = static_cast<double>(s.words);

  if (c.max_symbol_word_ratio) {
    if (static_cast<double>(CountSubstr(text, "#")) / n_words > c.max_symbol_word_ratio)
      return Verdict::Drop("gopher_too_many_hashes");
    const size_t ellipses = CountSubstr(text, "...") + CountSubstr(text, "\xE2\x80\xA6");
    if (static_cast<double>(ellipses) / n_words > c.max_symbol_word_ratio)
      return Verdict::Drop("gopher_too_many_ellipsis");
  }

  if (c.max_bullet_lines_ratio || c.max_ellipsis_lines_ratio) {
    thread_local std::vector<std::string_view> lines;
    PySplitLines(text, &lines);
    if (!lines.empty()) {
      const double n_lines = static_cast<double>(lines.size());
      if (c.max_bullet_lines_ratio &&
          static_cast<double>(std::count_if(lines.begin(), lines.end(), StartsWithBullet)) / n_lines >
              c.max_bullet_lines_ratio)
        return Verdict::Drop("gopher_too_many_bullets");
      if (c.max_ellipsis_lines_ratio &&
          static_cast<double>(std::count_if(lines.begin(), lines.end(), EndsWithEllipsis)) / n_lines >
              c.max_ellipsis_lines_ratio)
        return Verdict::Drop("gopher_too_many_end_ellipsis");
    }
  }

  if (c.max_non_alpha_words_ratio && static_cast<double>(s.alpha_words) / n_words < c.max_non_alpha_words_ratio)
    return Verdict::Drop("gopher_below_alpha_threshold");

  const bool english = doc->language == "en" ||
                       (doc->language.empty() && c.stop_words_when_language_unknown && !no_space);
  if (c.min_stop_words && english) {
    thread_local std::vector<char> seen;  // by stop word id (bucket offset + position in it)
    seen.assign(c.stop_words.size(), 0);
    size_t distinct = 0;
    for (std::string_view w : words) {
      if (w.size() >= stop_words_by_size_.size()) continue;
      const auto& bucket = stop_words_by_size_[w.size()];
      for (size_t k = 0; k < bucket.size(); ++k) {
        if (bucket[k] != w) continue;
        // A stop word's identity: its size bucket and position in it.
        size_t id = 0;
        for (size_t z = 0; z < w.size(); ++z) id += stop_words_by_size_[z].size();
        id += k;
        if (!seen[id]) seen[id] = 1, ++distinct;
      }
      if (static_cast<int64_t>(distinct) >= c.min_stop_words) break;
    }
    if (static_cast<int64_t>(distinct) < c.min_stop_words) return Verdict::Drop("gopher_enough_stop_words");
  }
  return Verdict::Keep();
}

}  // namespace seek
