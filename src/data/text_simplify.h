// data/text_simplify.h — datatrove's `simplify_text`, the text MinHash
// shingles are cut from (datatrove utils/text.py, TextNormConfig defaults).
//
// In datatrove's order: lowercase; every run of decimal digits (\p{Nd}+, with
// at most one [.,،٫⎖⎗⎘] followed by more digits) becomes "0"; the characters
// of datatrove's PUNCTUATION string (ASCII punctuation, 34 CJK/typographic
// marks such as “ ” « » … 。, and the C0/C1 controls other than \t \n) become
// spaces; Python's whitespace folds; then NFD with nonspacing marks (Mn)
// removed, so "Café" and "cafe" agree. Characters that NFD creates are kept
// as they are (datatrove removes punctuation before NFD too).
//
// The result is the list of words datatrove's shingles are made of, joined
// by single spaces: a 5-gram shingle is then a contiguous span of it, hashed
// in place exactly as datatrove hashes " ".join(ngram).
//
// Known differences from datatrove: its English word tokenizer (NLTK
// Treebank) also splits six contractions (cannot, gimme, gonna, gotta, lemme,
// wanna) and isolates ‘ quotes; here words are the whitespace-separated runs.
// Lowercasing is ICU's simple per-character mapping (Python's lower() also
// turns a word-final Σ into ς); the Unicode version is ICU's, not Python's.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seek {

// datatrove's TextNormConfig fields that change MinHash words (whitespace is
// always folded: words are whitespace-separated; weekday and month names,
// English-only and off in datatrove, are not offered).
struct TextSimplifyConfig {
  bool lowercase = true;
  bool remove_punctuation = true;
  bool norm_unicode_diacritics = true;  // NFD, then drop nonspacing marks (Mn)
  bool norm_numbers = true;             // digit runs -> "0"
};

// Simplified words of `text`, joined by single spaces, appended to `out`
// (cleared first); when `word_ends` is not null it receives the end offset of
// every word in `out` (the next word starts 1 byte later). Invalid UTF-8
// bytes count as U+FFFD. One pass, ASCII by table lookups.
void SimplifyText(std::string_view text, const TextSimplifyConfig& config, std::string* out,
                  std::vector<uint32_t>* word_ends = nullptr);

inline std::string SimplifyText(std::string_view text, const TextSimplifyConfig& config = {}) {
  std::string out;
  SimplifyText(text, config, &out);
  return out;
}

// Reference twin: datatrove's steps one after the other on a code point
// array, each over the whole text, with no ASCII shortcut. Tests hold
// SimplifyText to it.
std::string SimplifyTextRef(std::string_view text, const TextSimplifyConfig& config = {});

}  // namespace seek
