// tokenizer/decoder.cc — see decoder.h.
#include "tokenizer/decoder.h"

#include "tokenizer/js_text.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"

namespace seek {

struct Decoder::Step {
  enum Kind { kByteLevel, kMetaspace, kByteFallback, kFuse, kStrip, kReplace, kBpe } kind;
  bool keep_added = false;         // kByteLevel at the top level
  bool add_prefix_space = false;   // kMetaspace
  std::string text;                // kMetaspace replacement, kReplace content, kBpe suffix
  uint32_t strip_char = 0;         // kStrip: the code point to cut (0: content is not one BMP char)
  int64_t start = 0, stop = 0;     // kStrip: how many to cut at most from each end
  std::unique_ptr<Regex> pattern;  // kReplace
};

Decoder::Decoder() = default;
Decoder::~Decoder() = default;

namespace {

std::string TypeOf(const nlohmann::json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "<0xAB>" -> 0xAB, else -1 (the reference's parseInt(token.slice(3, 5), 16)).
int ByteToken(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  const int hi = HexValue(t[3]), lo = HexValue(t[4]);
  if (hi < 0) return -1;
  return lo < 0 ? hi : hi * 16 + lo;
}

// TextDecoder("utf-8") with its default ignoreBOM = false: a leading BOM is dropped.
std::string DecodeBytesDroppingBom(const std::string& bytes) {
  std::string text = RepairUtf8(bytes);
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  return text;
}

std::vector<std::string> ByteFallback(std::vector<std::string> tokens) {
  std::vector<std::string> out;
  std::string bytes;
  bool pending = false;
  for (std::string& t : tokens) {
    const int b = ByteToken(t);
    if (b >= 0) {
      bytes.push_back(static_cast<char>(b));
      pending = true;
      continue;
    }
    if (pending) out.push_back(DecodeBytesDroppingBom(bytes));
    bytes.clear();
    pending = false;
    out.push_back(std::move(t));
  }
  if (pending) out.push_back(DecodeBytesDroppingBom(bytes));
  return out;
}

// Byte-level characters back to bytes, then UTF-8 (ill-formed -> U+FFFD).
// A character outside the alphabet becomes byte 0, as in the reference.
std::string ByteLevelToText(const std::vector<std::string>& tokens) {
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  std::string bytes;
  for (const std::string& t : tokens) {
    for (size_t i = 0, len; i < t.size(); i += len) {
      const int b = alphabet.Decode(DecodeUtf8At(t, i, &len));
      bytes.push_back(static_cast<char>(b >= 0 ? b : 0));
    }
  }
  return RepairUtf8(bytes);
}

std::vector<std::string> ByteLevel(std::vector<std::string> tokens, bool keep_added,
                                   const std::function<bool(std::string_view)>& is_added) {
  if (!keep_added) return {ByteLevelToText(tokens)};
  std::vector<std::string> out, run;
  for (std::string& t : tokens) {
    if (is_added(t)) {
      if (!run.empty()) out.push_back(ByteLevelToText(run));
      run.clear();
      out.push_back(std::move(t));
    } else {
      run.push_back(std::move(t));
    }
  }
  if (!run.empty()) out.push_back(ByteLevelToText(run));
  return out;
}

std::string Strip(const std::string& t, uint32_t c, int64_t start, int64_t stop) {
  if (c == 0) return t;
  std::vector<size_t> offsets;  // code point starts
  for (size_t i = 0, len; i < t.size(); i += len) {
    DecodeUtf8At(t, i, &len);
    offsets.push_back(i);
  }
  offsets.push_back(t.size());
  const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  size_t len;
  int64_t first = 0, last = n;
  for (int64_t i = 0; i < start && i < n && DecodeUtf8At(t, offsets[i], &len) == c; ++i) first = i + 1;
  for (int64_t i = 0; i < stop && n - 1 - i >= 0 && DecodeUtf8At(t, offsets[n - 1 - i], &len) == c; ++i) last = n - 1 - i;
  if (last <= first) return "";
  return t.substr(offsets[first], offsets[last] - offsets[first]);
}

}  // namespace

Status Decoder::AddSteps(const nlohmann::json& config, const std::string& file, bool top_level, Decoder* d) {
  const std::string type = TypeOf(config);
  const std::string where = file + ": decoder " + type;
  if (type == "Sequence") {
    if (!config.contains("decoders") || !config["decoders"].is_array())
      return DataLossError("{}: needs a \"decoders\" array", where);
    for (const auto& child : config["decoders"]) RETURN_IF_ERROR(AddSteps(child, file, false, d));
    return Status::Ok();
  }
  const auto string_field = [&](const char* key, std::string* out) -> Status {
    if (!config.contains(key) || !config[key].is_string())
      return DataLossError("{}: needs a string \"{}\"", where, key);
    *out = config[key].get<std::string>();
    if (!IsValidUtf8(*out)) return DataLossError("{}: \"{}\" is not valid UTF-8", where, key);
    return Status::Ok();
  };
  Step s;
  if (type == "ByteLevel") {
    s.kind = Step::kByteLevel;
    s.keep_added = top_level;
  } else if (type == "Metaspace") {
    s.kind = Step::kMetaspace;
    RETURN_IF_ERROR(string_field("replacement", &s.text));
    if (s.text.empty()) return DataLossError("{}: \"replacement\" must not be empty", where);
    s.add_prefix_space = config.value("add_prefix_space", false);
  } else if (type == "ByteFallback") {
    s.kind = Step::kByteFallback;
  } else if (type == "Fuse") {
    s.kind = Step::kFuse;
  } else if (type == "Strip") {
    s.kind = Step::kStrip;
    std::string content;
    RETURN_IF_ERROR(string_field("content", &content));
    size_t len = 0;
    const uint32_t c = content.empty() ? 0 : DecodeUtf8At(content, 0, &len);
    s.strip_char = len == content.size() && c < 0x10000 ? c : 0;  // one UTF-16 unit, as compared in the reference
    s.start = config.value("start", int64_t{0});
    s.stop = config.value("stop", int64_t{0});
  } else if (type == "Replace") {
    s.kind = Step::kReplace;
    RETURN_IF_ERROR(string_field("content", &s.text));
    if (s.text.find('$') != std::string::npos)
      return UnimplementedError("{}: content {:?} holds '$' (a JavaScript replacement pattern), which is not "
                                "supported",
                                where, s.text);
    ASSIGN_OR_RETURN(s.pattern, CompilePattern(config.value("pattern", nlohmann::json()), where));
  } else if (type == "BPEDecoder") {
    s.kind = Step::kBpe;
    s.text = config.value("suffix", std::string("</w>"));
    if (s.text.empty()) return DataLossError("{}: \"suffix\" must not be empty", where);
  } else {
    return UnimplementedError("{}: decoder type {:?} is not supported (ByteLevel, Metaspace, ByteFallback, Fuse, "
                              "Strip, Replace, BPEDecoder, Sequence)",
                              file, type.empty() ? config.dump() : type);
  }
  d->steps_.push_back(std::move(s));
  return Status::Ok();
}

StatusOr<std::unique_ptr<Decoder>> Decoder::FromJson(const nlohmann::json& config, const std::string& file) {
  std::unique_ptr<Decoder> d(new Decoder());
  if (config.is_null()) return d;
  d->null_ = false;
  RETURN_IF_ERROR(AddSteps(config, file, true, d.get()));
  return d;
}

bool Decoder::byte_level() const {
  for (const Step& s : steps_)
    if (s.kind == Step::kByteLevel) return true;
  return false;
}

std::string Decoder::Decode(std::vector<std::string> tokens,
                            const std::function<bool(std::string_view)>& is_added) const {
  if (null_) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  for (const Step& s : steps_) {
    switch (s.kind) {
      case Step::kByteLevel: tokens = ByteLevel(std::move(tokens), s.keep_added, is_added); break;
      case Step::kMetaspace:
        for (size_t i = 0; i < tokens.size(); ++i) {
          tokens[i] = ReplaceAllLiteral(tokens[i], s.text, " ");
          if (s.add_prefix_space && i == 0 && !tokens[i].empty() && tokens[i][0] == ' ') tokens[i].erase(0, 1);
        }
        break;
      case Step::kByteFallback: tokens = ByteFallback(std::move(tokens)); break;
      case Step::kFuse: {
        std::string all;
        for (const std::string& t : tokens) all += t;
        tokens = {std::move(all)};
        break;
      }
      case Step::kStrip:
        for (std::string& t : tokens) t = Strip(t, s.strip_char, s.start, s.stop);
        break;
      case Step::kReplace:
        for (std::string& t : tokens) {
          StatusOr<std::string> r = ReplaceAll(*s.pattern, t, s.text);
          if (r.ok()) t = std::move(r).value();  // fails only past PCRE2's limits: keep the token
        }
        break;
      case Step::kBpe:
        for (size_t i = 0; i < tokens.size(); ++i)
          tokens[i] = ReplaceAllLiteral(tokens[i], s.text, i + 1 == tokens.size() ? "" : " ");
        break;
    }
  }
  std::string out;
  for (const std::string& t : tokens) out += t;
  return out;
}

}  // namespace seek
