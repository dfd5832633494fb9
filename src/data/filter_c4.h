// data/filter_c4.h — C4's line and document heuristics (Raffel et al. 2020)
// with the rules, order, reasons and defaults of datatrove's C4QualityFilter
// (src/datatrove/pipeline/filters/c4_filters.py).
//
// The text is cut into lines (str.splitlines), each stripped; a line is
// removed when, in this order:
//   - one of its whitespace words is longer than max_word_length characters;
//   - (citation markers [1] [] [edit] [citation needed] are first removed)
//     it does not end in . ? ! " ' or ends in "..." (filter_no_terminal_punct);
//   - it has fewer than min_words_per_line whitespace words;
//   - it mentions "javascript" (any case), or one of the policy phrases
//     ("terms of use", "privacy policy", "cookie policy", "uses cookies",
//     "use of cookies", "use cookies");
// and the whole document is dropped when a line that got that far mentions
// "lorem ipsum" (reason "lorem_ipsum") or holds '{' ("curly_bracket"), or
// when the kept lines hold fewer than min_num_sentences sentences
// ("too_few_sentences"; sentences as spaCy's sentencizer counts them, see
// CountSentences). A kept document's text becomes its kept lines joined
// with "\n". -1 turns min_num_sentences, min_words_per_line and
// max_word_length off, as in datatrove. The phrases are looked for in the
// line lowercased in ASCII (str.lower() also lowers a few non-ASCII letters
// to ASCII ones, such as the Kelvin sign to "k"; no phrase is affected but
// through such look-alikes).
//
// Language awareness (Seek's choice; datatrove applies the English rules to
// every language): on a line of a language written without spaces (the
// document's language is one, or is unknown and the line holds such a
// script), words are counted with the word splitter (punctuation tokens not
// counted) instead of whitespace, and any of datatrove's
// TERMINAL_PUNCTUATION marks (。！？ ...) or a closing quote (」』”’) ends a
// sentence.
//
// datatrove's split_paragraph=False (sentences instead of lines) is not
// implemented; asking for it is an Unimplemented error.
// Thread-safety: immutable; Apply may run concurrently.
#pragma once

#include <cstdint>

#include "data/text_stage.h"

namespace seek {

struct C4Config {
  bool remove_citations = true;
  bool filter_no_terminal_punct = true;
  int64_t min_num_sentences = 5;    // -1: off
  int64_t min_words_per_line = 3;   // -1: off
  int64_t max_word_length = 1000;   // -1: off
  bool filter_lorem_ipsum = true;
  bool filter_javascript = true;
  bool filter_curly_bracket = true;
  bool filter_policy = true;
};

class C4Filter : public TextStage {
 public:
  explicit C4Filter(C4Config config = {}) : config_(config) {}
  static StatusOr<C4Filter> FromJson(const nlohmann::json& overrides);

  std::string_view name() const override { return "c4"; }
  Verdict Apply(Document* doc) const override;
  const C4Config& config() const { return config_; }

 private:
  C4Config config_;
};

// `line` without the citation markers \[\d*\], [edit] and [citation needed]
// (datatrove's CITATION_REGEX; \d is any Unicode decimal digit). Returns
// `line` itself when it has none, else a view of *scratch.
std::string_view RemoveCitations(std::string_view line, std::string* scratch);

}  // namespace seek
