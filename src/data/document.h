// data/document.h — the unit of the data pipeline (`seek data`): one
// document's text with its source, a stable id and the metadata stages add
// (language, scores). Stages either keep a document (possibly changing its
// text) or drop it with a reason; every drop is counted by reason in the
// run's manifest.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace seek {

struct Document {
  std::string text;    // valid UTF-8 once the normalise stage ran
  std::string source;  // the reader's source name ("books", "fortunes", "docs")
  std::string id;      // stable across runs: "<source>/<file>[#<n>]"
  std::string language;  // ISO 639-1 ("en", "zh", ...) once language ID ran; "" before
  // Stage outputs kept for the manifest and filters down the line
  // ("language_score", "gopher.mean_word_length", ...).
  std::map<std::string, double> metadata;
};

// What a stage decided about one document. Drop reasons are short stable
// names ("gopher_short_doc", "c4_lorem_ipsum", ...), as datatrove's.
struct Verdict {
  bool keep = true;
  std::string reason;  // set when !keep
  int copies = 1;      // a kept document's copies in the output (balancing up-samples)

  static Verdict Keep() { return {}; }
  static Verdict Drop(std::string why) { return {false, std::move(why)}; }
};

}  // namespace seek
