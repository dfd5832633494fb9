// data/word_splitter.h — language-aware word splitting for the text filters,
// standing in for datatrove's split_into_words / split_into_sentences
// (src/datatrove/utils/text.py, src/datatrove/utils/word_tokenizers.py).
//
// datatrove tokenises English with spaCy's blank "en" tokenizer and keeps
// every non-blank token, punctuation included: "Hello, world." is
// ["Hello", ",", "world", "."]. Gopher's and FineWeb's ratios divide by that
// count, so Seek splits the same way, by rules modelled on spaCy's English
// punctuation rules (spacy/lang/punctuation.py):
//   - text is cut at whitespace (str.isspace);
//   - from each piece, prefixes are split off one by one: opening and closing
//     punctuation, quotes, currency and symbol characters (So), § % = – —,
//     '+' not before a digit, and runs of two or more dots;
//   - then suffixes: the same punctuation and quotes, "'s", the contractions
//     n't 'm 're 've 'll 'd, '%' and '+' after a digit, runs of dots, and '.'
//     after a lowercase letter, digit, punctuation or two capitals, unless
//     the piece is a common abbreviation (Mr. Dr. e.g. U.S. ...);
//   - then infixes: ellipses; hyphens and dashes between a letter or digit
//     and a letter; '-' '+' '*' '^' between digits; ',' between letters;
//     ':' '<' '>' '=' '/' between a letter or digit and a letter; '.'
//     between a lowercase letter and a capital;
//   - pieces that look like URLs (contain "://" or start with "www.") stay
//     whole after their prefixes are split off.
// Not modelled: spaCy's per-word exception table beyond the rules above
// (emoticons, "cannot" -> "can" "not", ...), and units after numbers other
// than '%'. These move Gopher's ratios by a fraction of a percent on prose.
//
// Languages written without spaces (Chinese, Japanese, Thai, Lao, Khmer,
// Burmese, Tibetan) have no whitespace words; datatrove uses jieba (zh),
// SudachiPy (ja) and others. Seek uses ICU's word BreakIterator, which
// segments these scripts by dictionary: any whitespace piece that holds a
// character of these scripts is segmented by ICU whatever the document's
// language, so a Chinese quote inside English text counts its words too.
//
// Thread-safety: all functions may run concurrently (ICU iterators are
// per thread).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace seek {

struct WordSplit {
  std::vector<std::string_view> words;  // views into the split text, in order
  size_t dictionary_words = 0;          // words that came from ICU dictionary segmentation
  void clear() {
    words.clear();
    dictionary_words = 0;
  }
};

// Appends the words of `text` to *out (clear it first for a fresh split).
void SplitWords(std::string_view text, WordSplit* out);

// True for the ISO 639-1 codes of languages written without spaces between
// words (zh ja th lo km my bo): word-length and whitespace-word rules that
// assume spaces do not apply to them.
bool IsNoSpaceLanguage(std::string_view language);

// True if `text` holds a character of a script written without spaces
// (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan).
bool HasNoSpaceScript(std::string_view text);

// Whether a document is treated as written without spaces: its language is
// one of those above, or unknown ("") and most of its words came from
// dictionary segmentation.
bool TreatAsNoSpace(std::string_view language, const WordSplit& split);

// The number of sentences spaCy's rule-based sentencizer finds in the
// words of one text (datatrove's split_into_sentences for English): a new
// sentence starts at the first word that is not punctuation after a word
// that is a terminal punctuation mark (datatrove's TERMINAL_PUNCTUATION).
// 0 for no words.
size_t CountSentences(const std::vector<std::string_view>& words);

// True if every character of `word` is Unicode punctuation (spaCy is_punct).
bool IsAllPunctuation(std::string_view word);

}  // namespace seek
