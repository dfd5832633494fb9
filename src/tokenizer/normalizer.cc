// tokenizer/normalizer.cc — see normalizer.h.
#include "tokenizer/normalizer.h"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "tokenizer/js_text.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"

namespace seek {

struct Normalizer::Step {
  enum Kind { kForm, kLowercase, kStripAccents, kStrip, kReplace, kPrepend } kind;
  NormalForm form = NormalForm::kNfc;  // kForm
  bool left = false, right = false;    // kStrip
  std::unique_ptr<Regex> pattern;      // kReplace
  std::string content;                 // kReplace: replacement; kPrepend: prefix
};

Normalizer::Normalizer() = default;
Normalizer::~Normalizer() = default;
Normalizer::Normalizer(Normalizer&&) noexcept = default;
Normalizer& Normalizer::operator=(Normalizer&&) noexcept = default;

namespace {

std::string TypeOf(const nlohmann::json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
}

// String.prototype.toLowerCase: Unicode default case mapping, including the
// context-dependent final sigma (ICU's root locale does the same).
std::string Lowercase(const std::string& text) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  u.toLower(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

// text.replace(/\p{M}/gu, "").
std::string StripAccents(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0, len; i < text.size(); i += len) {
    const uint32_t cp = DecodeUtf8At(text, i, &len);
    if ((U_GET_GC_MASK(static_cast<UChar32>(cp)) & U_GC_M_MASK) == 0) out.append(text, i, len);
  }
  return out;
}

}  // namespace

StatusOr<Normalizer> Normalizer::FromJson(const nlohmann::json& config, const std::string& file) {
  Normalizer n;
  if (config.is_null()) return n;
  const std::string type = TypeOf(config);
  const std::string where = file + ": normalizer " + type;
  if (type == "Sequence") {
    if (!config.contains("normalizers") || !config["normalizers"].is_array())
      return DataLossError("{}: needs a \"normalizers\" array", where);
    for (const auto& child : config["normalizers"]) {
      ASSIGN_OR_RETURN(Normalizer c, FromJson(child, file));
      for (Step& s : c.steps_) n.steps_.push_back(std::move(s));
    }
    return n;
  }
  Step step;
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    step.kind = Step::kForm;
    step.form = type == "NFC" ? NormalForm::kNfc : type == "NFD" ? NormalForm::kNfd
              : type == "NFKC" ? NormalForm::kNfkc : NormalForm::kNfkd;
  } else if (type == "Lowercase") {
    step.kind = Step::kLowercase;
  } else if (type == "StripAccents") {
    step.kind = Step::kStripAccents;
  } else if (type == "Strip") {
    step.kind = Step::kStrip;
    step.left = config.value("strip_left", false);
    step.right = config.value("strip_right", false);
  } else if (type == "Replace") {
    step.kind = Step::kReplace;
    if (!config.contains("content") || !config["content"].is_string())
      return DataLossError("{}: needs a string \"content\"", where);
    step.content = config["content"].get<std::string>();
    if (step.content.find('$') != std::string::npos)
      return UnimplementedError("{}: content {:?} holds '$' (a JavaScript replacement pattern), which is not "
                                "supported",
                                where, step.content);
    ASSIGN_OR_RETURN(step.pattern, CompilePattern(config.value("pattern", nlohmann::json()), where));
  } else if (type == "Prepend") {
    step.kind = Step::kPrepend;
    if (!config.contains("prepend") || !config["prepend"].is_string())
      return DataLossError("{}: needs a string \"prepend\"", where);
    step.content = config["prepend"].get<std::string>();
  } else {
    return UnimplementedError("{}: normalizer type {:?} is not supported (NFC, NFD, NFKC, NFKD, Lowercase, "
                              "StripAccents, Strip, Replace, Prepend, Sequence)",
                              file, type.empty() ? config.dump() : type);
  }
  if (!IsValidUtf8(step.content)) return DataLossError("{}: content is not valid UTF-8", where);
  n.steps_.push_back(std::move(step));
  return n;
}

StatusOr<std::string> Normalizer::Apply(std::string text) const {
  for (const Step& s : steps_) {
    switch (s.kind) {
      case Step::kForm: {
        ASSIGN_OR_RETURN(text, Normalize(s.form, text));
        break;
      }
      case Step::kLowercase: text = Lowercase(text); break;
      case Step::kStripAccents: text = StripAccents(text); break;
      case Step::kStrip: {
        std::string_view v = text;
        if (s.left) v = JsTrimStart(v);
        if (s.right) v = JsTrimEnd(v);
        text = std::string(v);
        break;
      }
      case Step::kReplace: {
        ASSIGN_OR_RETURN(text, ReplaceAll(*s.pattern, text, s.content));
        break;
      }
      case Step::kPrepend: text = s.content + text; break;
    }
  }
  return text;
}

}  // namespace seek
