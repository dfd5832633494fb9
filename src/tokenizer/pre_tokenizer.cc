// tokenizer/pre_tokenizer.cc — see pre_tokenizer.h.
#include "tokenizer/pre_tokenizer.h"

#include "tokenizer/pattern.h"

namespace seek {
namespace {

// The GPT-2 split pattern ByteLevel uses when use_regex is true.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string TypeOf(const nlohmann::json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
}

}  // namespace

struct PreTokenizer::Step {
  enum Kind { kSplitIsolated, kSplitRemoved, kByteLevel, kMetaspace } kind;
  std::unique_ptr<Regex> regex;  // Split, Digits; ByteLevel with use_regex
  bool add_prefix_space = false;  // ByteLevel, Metaspace
  std::string replacement;        // Metaspace: what spaces become
  enum Scheme { kAlways, kFirst, kNever } scheme = kAlways;  // Metaspace prepend_scheme
};

PreTokenizer::~PreTokenizer() = default;

bool PreTokenizer::byte_level() const {
  for (const Step& s : steps_)
    if (s.kind == Step::kByteLevel) return true;
  return false;
}

StatusOr<std::unique_ptr<PreTokenizer>> PreTokenizer::FromJson(const nlohmann::json& config,
                                                               const std::string& file) {
  auto pre = std::make_unique<PreTokenizer>();
  if (config.is_null()) return pre;
  const std::string type = TypeOf(config);
  const std::string where = file + ": pre_tokenizer " + type;
  if (type == "Sequence") {
    if (!config.contains("pretokenizers") || !config["pretokenizers"].is_array())
      return DataLossError("{}: needs a \"pretokenizers\" array", where);
    for (const auto& child : config["pretokenizers"]) {
      ASSIGN_OR_RETURN(std::unique_ptr<PreTokenizer> c, FromJson(child, file));
      for (Step& s : c->steps_) pre->steps_.push_back(std::move(s));
    }
    return pre;
  }
  Step step;
  if (type == "Split") {
    if (config.value("invert", false))
      return UnimplementedError("{}: invert = true is not supported", where);
    const std::string behavior = config.value("behavior", std::string());
    if (behavior == "Isolated") step.kind = Step::kSplitIsolated;
    else if (behavior == "Removed") step.kind = Step::kSplitRemoved;
    else
      return UnimplementedError("{}: behavior {:?} is not supported (Isolated, Removed)", where, behavior);
    ASSIGN_OR_RETURN(step.regex, CompilePattern(config.value("pattern", nlohmann::json()), where));
  } else if (type == "ByteLevel") {
    step.kind = Step::kByteLevel;
    step.add_prefix_space = config.value("add_prefix_space", false);
    if (config.value("use_regex", true)) {
      ASSIGN_OR_RETURN(step.regex, Regex::Compile(kGpt2Pattern, where));
    }
  } else if (type == "Digits") {
    // The reference's pattern, with JavaScript's ASCII \d.
    step.kind = Step::kSplitIsolated;
    const bool individual = config.value("individual_digits", false);
    ASSIGN_OR_RETURN(step.regex, Regex::Compile(individual ? "[^0-9]+|[0-9]" : "[^0-9]+|[0-9]+", where));
  } else if (type == "Metaspace") {
    step.kind = Step::kMetaspace;
    if (!config.contains("replacement") || !config["replacement"].is_string() ||
        config["replacement"].get<std::string>().empty())
      return DataLossError("{}: needs a non-empty string \"replacement\"", where);
    step.replacement = config["replacement"].get<std::string>();
    if (!IsValidUtf8(step.replacement)) return DataLossError("{}: replacement is not valid UTF-8", where);
    // As transformers.js: a prefix only with add_prefix_space, then per prepend_scheme.
    step.add_prefix_space = config.value("add_prefix_space", false);
    const std::string scheme = config.value("prepend_scheme", std::string("always"));
    if (scheme == "always") step.scheme = Step::kAlways;
    else if (scheme == "first") step.scheme = Step::kFirst;
    else if (scheme == "never") step.scheme = Step::kNever;
    else return DataLossError("{}: prepend_scheme {:?} must be always, first or never", where, scheme);
  } else {
    return UnimplementedError("{}: pre_tokenizer type {:?} is not supported (Split, ByteLevel, Digits, Metaspace, "
                              "Sequence)",
                              file, type.empty() ? config.dump() : type);
  }
  pre->steps_.push_back(std::move(step));
  return pre;
}

bool PreTokenizer::ends_in_byte_level() const {
  for (size_t i = 0; i < steps_.size(); ++i)
    if ((steps_[i].kind == Step::kByteLevel) != (i + 1 == steps_.size())) return false;
  return !steps_.empty();
}

// Per-step match lists, reused across calls on one thread.
struct PreTokenizer::Scratch {
  std::vector<std::vector<std::pair<size_t, size_t>>> matches;
  bool first_section = true;  // the text is the first section of its input (Metaspace "first")
};

Status PreTokenizer::Run(size_t k, std::string_view piece, bool raw_bytes, Scratch& scratch,
                         const std::function<void(std::string_view)>& word) const {
  if (k == steps_.size()) {
    word(piece);
    return Status::Ok();
  }
  const Step& step = steps_[k];
  // Recursion below reuses deeper levels only, so this level's list stays valid.
  std::vector<std::pair<size_t, size_t>>& matches = scratch.matches[k];
  if (step.kind == Step::kByteLevel) {
    std::string prefixed;
    // transformers.js and tokenizers add the space to every piece.
    if (step.add_prefix_space && (piece.empty() || piece[0] != ' ')) {
      prefixed.reserve(piece.size() + 1);
      prefixed.push_back(' ');
      prefixed.append(piece);
      piece = prefixed;
    }
    const bool map = !(raw_bytes && k + 1 == steps_.size());
    const auto emit = [&](std::string_view w) -> Status {
      if (!map) return Run(k + 1, w, raw_bytes, scratch, word);
      const std::string mapped = ByteLevelAlphabet::Get().EncodeBytes(w);
      return Run(k + 1, mapped, raw_bytes, scratch, word);
    };
    if (!step.regex) return emit(piece);
    RETURN_IF_ERROR(step.regex->FindAll(piece, &matches));
    for (const auto& [b, e] : matches) RETURN_IF_ERROR(emit(piece.substr(b, e - b)));
    return Status::Ok();
  }
  if (step.kind == Step::kMetaspace) {
    // Spaces become the replacement; the piece stays whole (the reference does not split).
    std::string out;
    const bool prefix = step.add_prefix_space && piece.substr(0, step.replacement.size()) != step.replacement &&
                        piece.substr(0, 1) != " " &&
                        (step.scheme == Step::kAlways || (step.scheme == Step::kFirst && scratch.first_section));
    if (prefix) out = step.replacement;
    for (char c : piece) {
      if (c == ' ') out += step.replacement;
      else out += c;
    }
    return Run(k + 1, out, raw_bytes, scratch, word);
  }
  RETURN_IF_ERROR(step.regex->FindAll(piece, &matches));
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    if (b > prev) RETURN_IF_ERROR(Run(k + 1, piece.substr(prev, b - prev), raw_bytes, scratch, word));
    if (step.kind == Step::kSplitIsolated) RETURN_IF_ERROR(Run(k + 1, piece.substr(b, e - b), raw_bytes, scratch, word));
    prev = e;
  }
  if (prev < piece.size()) RETURN_IF_ERROR(Run(k + 1, piece.substr(prev), raw_bytes, scratch, word));
  return Status::Ok();
}

Status PreTokenizer::ForEachWord(std::string_view text, bool raw_bytes,
                                 const std::function<void(std::string_view)>& word, bool first_section) const {
  if (raw_bytes && !ends_in_byte_level())
    return InvalidArgumentError("PreTokenizer::ForEachWord: raw_bytes needs a pre-tokenizer ending in ByteLevel");
  thread_local Scratch scratch;
  // A nested call (from `word`) would clobber the lists; use a fresh set then.
  thread_local bool busy = false;
  if (busy) {
    Scratch own;
    own.matches.resize(steps_.size());
    own.first_section = first_section;
    return Run(0, text, raw_bytes, own, word);
  }
  busy = true;
  if (scratch.matches.size() < steps_.size()) scratch.matches.resize(steps_.size());
  scratch.first_section = first_section;
  const Status status = Run(0, text, raw_bytes, scratch, word);
  busy = false;
  return status;
}

StatusOr<std::vector<std::string>> PreTokenizer::Split(const std::string& text, bool first_section) const {
  std::vector<std::string> words;
  RETURN_IF_ERROR(ForEachWord(
      text, /*raw_bytes=*/false, [&](std::string_view w) { words.emplace_back(w); }, first_section));
  return words;
}

}  // namespace seek
