// data/normalize.h — the normalize stage: makes a document's text valid,
// canonical UTF-8 with plain whitespace before the filters look at it.
//
// In order:
//   1. Invalid UTF-8 is repaired: each ill-formed subsequence becomes U+FFFD
//      (the "maximal subpart" rule of tokenizer/unicode.h RepairUtf8, the
//      same as Python's errors="replace"); the number of replacements goes to
//      doc->metadata["normalize.invalid_utf8"] (only when non-zero).
//   2. Line ends become "\n": "\r\n", a lone "\r", "\v", "\f", U+0085,
//      U+2028 and U+2029.
//   3. Control characters (general category Cc: C0, DEL, C1) other than
//      "\n" and "\t" are removed, and so is U+FEFF (a byte order mark);
//      counted in "normalize.control_chars" when non-zero.
//   4. Whitespace is folded: a run of horizontal whitespace (tab, space and
//      the Unicode space separators, Zs: no-break space, ideographic space,
//      ...) becomes one ASCII space; spaces at the start and end of a line
//      go (so indentation goes too); a run of 3 or more newlines becomes
//      max_newlines (default 2: at most one blank line); whitespace at the
//      start and end of the document goes.
//   5. Unicode NFC (ICU, tokenizer/unicode.h Normalize).
// A document left empty is dropped with reason "normalize_empty" when
// drop_empty is set. Each step can be turned off in the config.
// Thread-safety: immutable; Apply may run concurrently.
#pragma once

#include <cstdint>

#include "data/text_stage.h"

namespace seek {

struct NormalizeConfig {
  bool nfc = true;
  bool remove_controls = true;
  bool fold_whitespace = true;
  int64_t max_newlines = 2;  // consecutive "\n" kept by fold_whitespace; >= 1
  bool drop_empty = true;
};

class NormalizeStage : public TextStage {
 public:
  explicit NormalizeStage(NormalizeConfig config = {}) : config_(config) {}
  static StatusOr<NormalizeStage> FromJson(const nlohmann::json& overrides);

  std::string_view name() const override { return "normalize"; }
  Verdict Apply(Document* doc) const override;
  const NormalizeConfig& config() const { return config_; }

 private:
  NormalizeConfig config_;
};

}  // namespace seek
