// data/filter_fineweb.cc — see filter_fineweb.h.
#include "data/filter_fineweb.h"

#include "data/py_text.h"
#include "data/stage_config.h"
#include "data/text_duplicates.h"
#include "data/word_splitter.h"

namespace seek {

StatusOr<FineWebFilter> FineWebFilter::FromJson(const nlohmann::json& overrides) {
  FineWebConfig c;
  ConfigBinder b("fineweb");
  b.Number("line_punct_thr", &c.line_punct_thr)
      .Bool("line_punct_exclude_zero", &c.line_punct_exclude_zero)
      .Strings("stop_chars", &c.stop_chars)
      .Number("short_line_thr", &c.short_line_thr)
      .Int("short_line_length", &c.short_line_length)
      .Number("char_duplicates_ratio", &c.char_duplicates_ratio)
      .Number("new_line_ratio", &c.new_line_ratio);
  RETURN_IF_ERROR(b.Apply(overrides));
  for (const std::string& s : c.stop_chars)
    if (s.empty()) return InvalidArgumentError("stage fineweb: key \"stop_chars\" must not hold an empty string");
  return FineWebFilter(std::move(c));
}

bool FineWebFilter::EndsWithStopChar(std::string_view line) const {
  if (config_.stop_chars.empty()) return !line.empty() && IsTerminalPunctuation(LastCodePoint(line));
  for (const std::string& s : config_.stop_chars)
    if (line.ends_with(s)) return true;
  return false;
}

Verdict FineWebFilter::Apply(Document* doc) const {
  const FineWebConfig& c = config_;
  const std::string_view text = doc->text;
  thread_local std::vector<std::string_view> lines;
  lines.clear();
  size_t newlines = 0;
  for (size_t start = 0;;) {
    const size_t nl = text.find('\n', start);
    const std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!PyStrip(line).empty()) lines.push_back(line);
    if (nl == std::string_view::npos) break;
    ++newlines;
    start = nl + 1;
  }
  if (lines.empty()) return Verdict::Drop("empty");
  const double n_lines = static_cast<double>(lines.size());

  size_t punct = 0, short_lines = 0;
  for (std::string_view line : lines) {
    punct += EndsWithStopChar(line);
    short_lines += static_cast<int64_t>(line.size() <= static_cast<size_t>(c.short_line_length)
                                            ? line.size()
                                            : CountCodePoints(line)) <= c.short_line_length;
  }
  const double punct_ratio = static_cast<double>(punct) / n_lines;
  if (punct_ratio < c.line_punct_thr && !(punct_ratio == 0 && c.line_punct_exclude_zero))
    return Verdict::Drop("line_punct_ratio");
  if (static_cast<double>(short_lines) / n_lines > c.short_line_thr) return Verdict::Drop("short_line_ratio");

  const size_t chars_but_newlines = CountCodePoints(text) - newlines;
  if (static_cast<double>(FindDuplicates(lines).chars) / static_cast<double>(chars_but_newlines) >
      c.char_duplicates_ratio)
    return Verdict::Drop("char_dup_ratio");

  // Every whitespace-separated piece gives at least one word, so when
  // newlines / pieces is within the threshold, newlines / words is too and
  // the word split can be skipped.
  size_t pieces = 0;
  ForEachPySplitWord(text, [&](std::string_view) { ++pieces; });
  if (pieces > 0 && static_cast<double>(newlines) / static_cast<double>(pieces) <= c.new_line_ratio)
    return Verdict::Keep();
  thread_local WordSplit split;
  split.clear();
  SplitWords(text, &split);
  if (split.words.empty() ||
      static_cast<double>(newlines) / static_cast<double>(split.words.size()) > c.new_line_ratio)
    return Verdict::Drop("list_ratio");
  return Verdict::Keep();
}

}  // namespace seek
