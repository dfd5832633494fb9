// data/filter_c4.cc — see filter_c4.h.
#include "data/filter_c4.h"

#include <unicode/uchar.h>

#include "data/py_text.h"
#include "data/stage_config.h"
#include "data/word_splitter.h"

namespace seek {
namespace {

constexpr std::string_view kPolicyPhrases[] = {"terms of use", "privacy policy", "cookie policy",
                                               "uses cookies", "use of cookies", "use cookies"};

// Length of a citation marker at s[i] == '[', or 0.
size_t CitationLength(std::string_view s, size_t i) {
  const std::string_view rest = s.substr(i);
  if (rest.starts_with("[edit]")) return 6;
  if (rest.starts_with("[citation needed]")) return 17;
  size_t j = i + 1, len;
  while (j < s.size()) {
    const uint32_t cp = CodePointAt(s, j, &len);
    if (cp == ']') return j + 1 - i;
    const bool digit = cp < 0x80 ? (cp >= '0' && cp <= '9')
                                 : u_charType(static_cast<UChar32>(cp)) == U_DECIMAL_DIGIT_NUMBER;
    if (!digit) return 0;
    j += len;
  }
  return 0;
}

bool EndsSentenceAscii(std::string_view line) {
  if (line.empty() || line.ends_with("...")) return false;
  const char last = line.back();
  return last == '.' || last == '?' || last == '!' || last == '"' || last == '\'';
}

// The wider rule for languages written without spaces.
bool EndsSentenceNoSpace(std::string_view line) {
  if (EndsSentenceAscii(line)) return true;
  if (line.empty() || line.ends_with("...")) return false;
  const uint32_t last = LastCodePoint(line);
  return IsTerminalPunctuation(last) || last == 0x300D || last == 0x300F || last == 0x201D || last == 0x2019;
}

bool HasLongWord(std::string_view line, int64_t max_chars) {
  if (static_cast<int64_t>(line.size()) <= max_chars) return false;  // bytes >= code points
  bool found = false;
  ForEachPySplitWord(line, [&](std::string_view w) {
    found |= static_cast<int64_t>(w.size()) > max_chars && static_cast<int64_t>(CountCodePoints(w)) > max_chars;
  });
  return found;
}

// Whitespace-separated words of `line`, counting no further than `enough`.
int64_t CountPySplitWords(std::string_view line, int64_t enough) {
  int64_t words = 0;
  bool in_word = false;
  size_t len;
  for (size_t i = 0; i < line.size() && words < enough; i += len) {
    const bool space = IsPySpace(CodePointAt(line, i, &len));
    words += !space && !in_word;
    in_word = !space;
  }
  return words;
}

bool IsUnicodePunctuation(uint32_t cp) { return (U_GET_GC_MASK(static_cast<UChar32>(cp)) & U_GC_P_MASK) != 0; }

// The sentences spaCy's sentencizer finds in a non-empty line (at least 1,
// as datatrove's split_into_sentences returns at least one part). A new
// sentence needs a terminal mark followed later by a character that is
// neither whitespace nor punctuation; lines without one, most lines, are
// one sentence and need no word split.
int64_t LineSentences(std::string_view line, WordSplit* split) {
  size_t last_content = line.size();  // start of the last character that is not space or punctuation
  for (size_t end = line.size(); end > 0;) {
    const size_t start = PrevCodePointStart(line, end);
    size_t len;
    const uint32_t cp = CodePointAt(line, start, &len);
    if (!IsPySpace(cp) && !IsUnicodePunctuation(cp)) {
      last_content = start;
      break;
    }
    end = start;
  }
  bool terminal_before = false;
  size_t len;
  for (size_t i = 0; i < last_content && !terminal_before; i += len) {
    const auto c = static_cast<uint8_t>(line[i]);
    if (c < 0x80) {
      len = 1;
      terminal_before = c == '.' || c == '!' || c == '?';
    } else {
      terminal_before = IsTerminalPunctuation(CodePointAt(line, i, &len));
    }
  }
  if (!terminal_before || last_content == line.size()) return 1;
  split->clear();
  SplitWords(line, split);
  return static_cast<int64_t>(std::max<size_t>(CountSentences(split->words), 1));
}

// ASCII-lowercases `line` into *out.
std::string_view AsciiLower(std::string_view line, std::string* out) {
  out->assign(line);
  for (char& c : *out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return *out;
}

bool Contains(std::string_view s, std::string_view needle) { return s.find(needle) != std::string_view::npos; }

}  // namespace

std::string_view RemoveCitations(std::string_view line, std::string* scratch) {
  size_t i = line.find('[');
  if (i == std::string_view::npos) return line;
  scratch->clear();
  size_t copied = 0;
  for (; i != std::string_view::npos; i = line.find('[', i)) {
    const size_t n = CitationLength(line, i);
    if (n == 0) {
      ++i;
      continue;
    }
    scratch->append(line.substr(copied, i - copied));
    i += n;
    copied = i;
  }
  if (copied == 0) return line;
  scratch->append(line.substr(copied));
  return *scratch;
}

StatusOr<C4Filter> C4Filter::FromJson(const nlohmann::json& overrides) {
  C4Config c;
  bool split_paragraph = true;
  ConfigBinder b("c4");
  b.Bool("split_paragraph", &split_paragraph)
      .Bool("remove_citations", &c.remove_citations)
      .Bool("filter_no_terminal_punct", &c.filter_no_terminal_punct)
      .Int("min_num_sentences", &c.min_num_sentences, -1)
      .Int("min_words_per_line", &c.min_words_per_line, -1)
      .Int("max_word_length", &c.max_word_length, -1)
      .Bool("filter_lorem_ipsum", &c.filter_lorem_ipsum)
      .Bool("filter_javascript", &c.filter_javascript)
      .Bool("filter_curly_bracket", &c.filter_curly_bracket)
      .Bool("filter_policy", &c.filter_policy);
  RETURN_IF_ERROR(b.Apply(overrides));
  if (!split_paragraph)
    return UnimplementedError("stage c4: key \"split_paragraph\" = false (sentence mode) is not supported; "
                              "only true (line mode, the default) is");
  return C4Filter(c);
}

Verdict C4Filter::Apply(Document* doc) const {
  const C4Config& c = config_;
  thread_local std::vector<std::string_view> lines;
  thread_local std::string citation_scratch, lower_scratch, kept;
  thread_local WordSplit split;
  PySplitLines(doc->text, &lines);
  kept.clear();
  const bool no_space_language = IsNoSpaceLanguage(doc->language);
  int64_t sentences = 0;
  size_t n_kept = 0;
  for (std::string_view raw : lines) {
    std::string_view line = PyStrip(raw);
    if (c.max_word_length != -1 && HasLongWord(line, c.max_word_length)) continue;
    const bool no_space = no_space_language || (doc->language.empty() && HasNoSpaceScript(line));
    int64_t words = 0;  // counted before citations go, as datatrove does
    if (no_space) {
      split.clear();
      SplitWords(line, &split);
      for (std::string_view w : split.words) words += !IsAllPunctuation(w);
    } else {
      words = CountPySplitWords(line, std::max<int64_t>(c.min_words_per_line, 0));
    }
    if (c.remove_citations) line = RemoveCitations(line, &citation_scratch);
    if (c.filter_no_terminal_punct && !(no_space ? EndsSentenceNoSpace(line) : EndsSentenceAscii(line))) continue;
    if (words < c.min_words_per_line) continue;
    const std::string_view lower = AsciiLower(line, &lower_scratch);
    if (c.filter_lorem_ipsum && Contains(lower, "lorem ipsum")) return Verdict::Drop("lorem_ipsum");
    if (c.filter_javascript && Contains(lower, "javascript")) continue;
    if (c.filter_curly_bracket && line.find('{') != std::string_view::npos) return Verdict::Drop("curly_bracket");
    // Every policy phrase holds "cookie", "policy" or "terms of use".
    if (c.filter_policy && (Contains(lower, "cookie") || Contains(lower, "policy") || Contains(lower, "terms"))) {
      bool policy = false;
      for (std::string_view p : kPolicyPhrases) policy = policy || Contains(lower, p);
      if (policy) continue;
    }
    if (c.min_num_sentences != -1) sentences += LineSentences(line, &split);
    if (n_kept++ > 0) kept.push_back('\n');
    kept.append(line);
  }
  if (sentences < c.min_num_sentences) return Verdict::Drop("too_few_sentences");
  doc->text.assign(PyStrip(kept));
  return Verdict::Keep();
}

}  // namespace seek
