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
  enum Kind { kSplitIsolated, kSplitRemoved, kByteLevel } kind;
  std::unique_ptr<Regex> regex;  // Split; ByteLevel with use_regex
  bool add_prefix_space = false;  // ByteLevel
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
  } else {
    return UnimplementedError("{}: pre_tokenizer type {:?} is not supported (Split, ByteLevel, Sequence)", file,
                              type.empty() ? config.dump() : type);
  }
  pre->steps_.push_back(std::move(step));
  return pre;
}

StatusOr<std::vector<std::string>> PreTokenizer::Split(const std::string& text) const {
  std::vector<std::string> pieces{text};
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  for (const Step& step : steps_) {
    std::vector<std::string> next;
    next.reserve(pieces.size());
    for (std::string& piece : pieces) {
      if (step.kind == Step::kByteLevel) {
        // transformers.js and tokenizers add the space to every piece.
        if (step.add_prefix_space && (piece.empty() || piece[0] != ' ')) piece = " " + piece;
        if (!step.regex) {
          next.push_back(alphabet.EncodeBytes(piece));
          continue;
        }
        ASSIGN_OR_RETURN(auto matches, step.regex->FindAll(piece));
        for (const auto& [b, e] : matches) next.push_back(alphabet.EncodeBytes(std::string_view(piece).substr(b, e - b)));
        continue;
      }
      ASSIGN_OR_RETURN(auto matches, step.regex->FindAll(piece));
      size_t prev = 0;
      for (const auto& [b, e] : matches) {
        if (b > prev) next.push_back(piece.substr(prev, b - prev));
        if (step.kind == Step::kSplitIsolated) next.push_back(piece.substr(b, e - b));
        prev = e;
      }
      if (prev < piece.size()) next.push_back(piece.substr(prev));
    }
    pieces = std::move(next);
  }
  return pieces;
}

}  // namespace seek
