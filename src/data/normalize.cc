// data/normalize.cc — see normalize.h.
#include "data/normalize.h"

#include "data/py_text.h"
#include "data/stage_config.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

bool IsLineEnd(uint32_t cp) { return cp == '\n' || cp == '\v' || cp == '\f' || cp == 0x85 || cp == 0x2028 || cp == 0x2029; }
bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xFEFF; }
// Tab and the space separators (Zs).
bool IsHorizontalSpace(uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

}  // namespace

StatusOr<NormalizeStage> NormalizeStage::FromJson(const nlohmann::json& overrides) {
  NormalizeConfig c;
  ConfigBinder b("normalize");
  b.Bool("nfc", &c.nfc)
      .Bool("remove_controls", &c.remove_controls)
      .Bool("fold_whitespace", &c.fold_whitespace)
      .Int("max_newlines", &c.max_newlines)
      .Bool("drop_empty", &c.drop_empty);
  RETURN_IF_ERROR(b.Apply(overrides));
  if (c.max_newlines < 1)
    return InvalidArgumentError("stage normalize: key \"max_newlines\" = {} must be at least 1", c.max_newlines);
  return NormalizeStage(c);
}

Verdict NormalizeStage::Apply(Document* doc) const {
  const NormalizeConfig& c = config_;
  size_t invalid = 0;
  if (!IsValidUtf8(doc->text)) doc->text = RepairUtf8(doc->text, &invalid);
  if (invalid > 0) doc->metadata["normalize.invalid_utf8"] += static_cast<double>(invalid);

  if (c.remove_controls || c.fold_whitespace) {
    const std::string_view s = doc->text;
    thread_local std::string out;
    out.clear();
    out.reserve(s.size());
    size_t controls = 0, newlines = 0, len;
    bool spaces = false;
    const auto flush = [&] {
      if (!c.fold_whitespace || out.empty()) {
        // Leading whitespace of the document goes; without folding nothing is pending.
      } else if (newlines > 0) {
        out.append(std::min<size_t>(newlines, static_cast<size_t>(c.max_newlines)), '\n');
      } else if (spaces) {
        out.push_back(' ');
      }
      newlines = 0;
      spaces = false;
    };
    for (size_t i = 0; i < s.size(); i += len) {
      const auto byte = static_cast<uint8_t>(s[i]);
      if (byte > 0x20 && byte < 0x7F) {  // printable ASCII but space
        len = 1;
        if (newlines > 0 || spaces) flush();
        out.push_back(static_cast<char>(byte));
        continue;
      }
      uint32_t cp = CodePointAt(s, i, &len);
      if (c.remove_controls) {
        if (cp == '\r') {
          cp = '\n';
          if (i + 1 < s.size() && s[i + 1] == '\n') ++len;
        } else if (IsLineEnd(cp)) {
          cp = '\n';
        } else if (cp != '\t' && IsControl(cp)) {
          ++controls;
          continue;
        }
      }
      if (c.fold_whitespace && cp == '\n') {
        ++newlines;
        spaces = false;  // spaces at the end of a line go
        continue;
      }
      if (c.fold_whitespace && IsHorizontalSpace(cp)) {
        spaces = true;
        continue;
      }
      if (newlines > 0 || spaces) flush();
      AppendUtf8(cp, &out);
    }
    if (controls > 0) doc->metadata["normalize.control_chars"] += static_cast<double>(controls);
    doc->text.swap(out);
  }

  if (c.nfc) {
    StatusOr<std::string> nfc = Normalize(NormalForm::kNfc, doc->text);
    if (nfc.ok()) doc->text = std::move(nfc).value();
    else doc->metadata["normalize.nfc_failed"] = 1;
  }
  if (c.drop_empty && doc->text.empty()) return Verdict::Drop("normalize_empty");
  return Verdict::Keep();
}

}  // namespace seek
