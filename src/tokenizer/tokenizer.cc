// tokenizer/tokenizer.cc — see tokenizer.h.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

#include "core/log.h"
#include "io/file_util.h"
#include "tokenizer/js_text.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"

namespace seek {

struct Tokenizer::TrieNode {
  std::map<char, std::unique_ptr<TrieNode>> children;
  int added = -1;  // index into added_ of the token ending here
};

namespace {

std::string TypeOf(const nlohmann::json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
}

}  // namespace

Tokenizer::Tokenizer() : trie_(std::make_unique<TrieNode>()) {}
Tokenizer::~Tokenizer() = default;

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromFile(const std::string& path) {
  std::error_code ec;
  std::string file = path;
  if (std::filesystem::is_directory(path, ec)) file = (std::filesystem::path(path) / "tokenizer.json").string();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
  return FromJsonString(text, file);
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromJsonString(std::string_view json_text, const std::string& name) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return DataLossError("{}: not valid JSON", name);
  if (!j.is_object()) return DataLossError("{}: top level must be a JSON object", name);
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  t->file_ = name;
  try {
    const nlohmann::json null;
    const auto field = [&](const char* key) -> const nlohmann::json& { return j.contains(key) ? j[key] : null; };
    for (const char* key : {"truncation", "padding"}) {
      if (!field(key).is_null())
        return UnimplementedError("{}: {} = {} is not supported (only null)", name, key, field(key).dump());
    }
    const nlohmann::json& model = field("model");
    if (!model.is_object()) return DataLossError("{}: \"model\" must be an object", name);
    const std::string model_type = model.value("type", std::string("BPE"));
    if (model_type != "BPE")
      return UnimplementedError("{}: model type {:?} is not supported (only BPE)", name, model_type);
    ASSIGN_OR_RETURN(t->model_, BpeModel::FromJson(model, name));
    ASSIGN_OR_RETURN(t->normalizer_, Normalizer::FromJson(field("normalizer"), name));
    ASSIGN_OR_RETURN(t->pre_tokenizer_, PreTokenizer::FromJson(field("pre_tokenizer"), name));
    RETURN_IF_ERROR(t->ParseAddedTokens(field("added_tokens"), name));
    RETURN_IF_ERROR(t->ParsePostProcessor(field("post_processor"), name));
    ASSIGN_OR_RETURN(t->decoder_, Decoder::FromJson(field("decoder"), name));
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong JSON type deep in a component.
    return DataLossError("{}: malformed field: {}", name, e.what());
  }
  return t;
}

Status Tokenizer::ParseAddedTokens(const nlohmann::json& j, const std::string& file) {
  if (j.is_null()) return Status::Ok();
  if (!j.is_array()) return DataLossError("{}: added_tokens must be an array", file);
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    if (!e.is_object() || !e.contains("id") || !e["id"].is_number_integer() || !e.contains("content") ||
        !e["content"].is_string() || e["content"].get<std::string>().empty() || e["id"].get<int64_t>() < 0)
      return DataLossError("{}: added_tokens[{}] needs a non-empty \"content\" and an id >= 0, got {}", file, i,
                           e.dump());
    if (e.value("single_word", false))
      return UnimplementedError("{}: added_tokens[{}] ({}) single_word = true is not supported", file, i,
                                e["content"].dump());
    AddedToken token{e["content"].get<std::string>(), e["id"].get<int32_t>(), e.value("special", false),
                     e.value("lstrip", false), e.value("rstrip", false)};
    if (!IsValidUtf8(token.content))
      return DataLossError("{}: added_tokens[{}] content is not valid UTF-8", file, i);
    // "normalized" is not consulted: like transformers.js, added tokens are
    // matched on the raw text.
    TrieNode* node = trie_.get();
    for (char c : token.content) {
      auto& child = node->children[c];
      if (!child) child = std::make_unique<TrieNode>();
      node = child.get();
    }
    node->added = static_cast<int>(added_.size());
    added_first_byte_[static_cast<uint8_t>(token.content[0])] = true;
    added_by_id_[token.id] = added_.size();
    added_.push_back(std::move(token));
  }
  return Status::Ok();
}

Status Tokenizer::ParsePostProcessor(const nlohmann::json& j, const std::string& file) {
  if (j.is_null()) return Status::Ok();
  const std::string type = TypeOf(j);
  if (type == "ByteLevel") return Status::Ok();  // adds no tokens; offsets are not tracked
  if (type == "Sequence") {
    if (!j.contains("processors") || !j["processors"].is_array())
      return DataLossError("{}: post_processor Sequence needs a \"processors\" array", file);
    for (const auto& p : j["processors"]) RETURN_IF_ERROR(ParsePostProcessor(p, file));
    return Status::Ok();
  }
  if (type != "TemplateProcessing")
    return UnimplementedError("{}: post_processor type {:?} is not supported (TemplateProcessing, ByteLevel, "
                              "Sequence)",
                              file, type.empty() ? j.dump() : type);
  if (!prefix_ids_.empty() || !suffix_ids_.empty())
    return UnimplementedError("{}: more than one TemplateProcessing post_processor is not supported", file);
  if (!j.contains("single") || !j["single"].is_array())
    return DataLossError("{}: post_processor TemplateProcessing needs a \"single\" array", file);
  bool seen_sequence = false;
  for (const auto& piece : j["single"]) {
    if (piece.contains("Sequence")) {
      if (piece["Sequence"].value("id", std::string()) != "A" || seen_sequence)
        return UnimplementedError("{}: post_processor TemplateProcessing single {} is not supported (one "
                                  "Sequence A)",
                                  file, j["single"].dump());
      seen_sequence = true;
      continue;
    }
    if (!piece.contains("SpecialToken") || !piece["SpecialToken"].contains("id"))
      return DataLossError("{}: post_processor TemplateProcessing single item {} is neither Sequence nor "
                           "SpecialToken",
                           file, piece.dump());
    const std::string name = piece["SpecialToken"]["id"].get<std::string>();
    std::vector<int32_t> ids;
    if (j.contains("special_tokens") && j["special_tokens"].contains(name)) {
      ids = j["special_tokens"][name]["ids"].get<std::vector<int32_t>>();
    } else if (const auto id = TokenToId(name)) {
      ids = {*id};
    } else {
      return DataLossError("{}: post_processor special token {:?} is neither in special_tokens nor the "
                           "vocabulary",
                           file, name);
    }
    auto& dest = seen_sequence ? suffix_ids_ : prefix_ids_;
    dest.insert(dest.end(), ids.begin(), ids.end());
  }
  return Status::Ok();
}

void Tokenizer::SplitAddedTokens(std::string_view text, std::vector<std::string_view>* sections,
                                 std::vector<int>* added) const {
  size_t start = 0;
  for (size_t i = 0; i < text.size();) {
    if (!added_first_byte_[static_cast<uint8_t>(text[i])]) {  // no added token starts here
      ++i;
      continue;
    }
    const TrieNode* node = trie_.get();
    int match = -1;
    for (size_t k = i; k < text.size(); ++k) {
      const auto it = node->children.find(text[k]);
      if (it == node->children.end()) break;
      node = it->second.get();
      if (node->added >= 0) match = node->added;  // keep the longest
    }
    if (match < 0) {
      ++i;
      continue;
    }
    if (i > start) {
      sections->push_back(text.substr(start, i - start));
      added->push_back(-1);
    }
    sections->push_back(text.substr(i, added_[match].content.size()));
    added->push_back(match);
    i += added_[match].content.size();
    start = i;
  }
  if (start < text.size()) {
    sections->push_back(text.substr(start));
    added->push_back(-1);
  }
}

StatusOr<std::vector<int32_t>> Tokenizer::EncodeOrError(std::string_view raw, bool add_special_tokens) const {
  std::string repaired;
  std::string_view text = raw;
  if (!IsValidUtf8(raw)) {
    repaired = RepairUtf8(raw);
    text = repaired;
  }
  std::vector<std::string_view> sections;
  std::vector<int> added;
  if (!added_.empty()) {
    SplitAddedTokens(text, &sections, &added);
  } else if (!text.empty()) {
    sections.push_back(text);
    added.push_back(-1);
  }
  for (size_t i = 0; i < sections.size(); ++i) {
    if (added[i] < 0) continue;
    if (added_[added[i]].lstrip && i > 0 && added[i - 1] < 0) sections[i - 1] = JsTrimEnd(sections[i - 1]);
    if (added_[added[i]].rstrip && i + 1 < sections.size() && added[i + 1] < 0)
      sections[i + 1] = JsTrimStart(sections[i + 1]);
  }
  std::vector<int32_t> ids;
  if (add_special_tokens) ids = prefix_ids_;
  for (size_t i = 0; i < sections.size(); ++i) {
    if (added[i] >= 0) {
      ids.push_back(added_[added[i]].id);
      continue;
    }
    if (sections[i].empty()) continue;
    std::string normalized;
    std::string_view section = sections[i];
    if (!normalizer_.empty()) {
      ASSIGN_OR_RETURN(normalized, normalizer_.Apply(std::string(section)));
      section = normalized;
    }
    if (section.empty()) continue;
    // Byte-level words go to the model as raw bytes (no byte-level string is built).
    const bool raw_bytes = pre_tokenizer_->ends_in_byte_level();
    RETURN_IF_ERROR(pre_tokenizer_->ForEachWord(
        section, raw_bytes,
        [&](std::string_view word) {
          if (raw_bytes) {
            model_->EncodeByteLevelWord(word, &ids);
          } else {
            model_->EncodeWord(word, &ids);
          }
        },
        /*first_section=*/i == 0));
  }
  if (add_special_tokens) ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special_tokens) const {
  StatusOr<std::vector<int32_t>> ids = EncodeOrError(text, add_special_tokens);
  if (ids.ok()) return std::move(ids).value();
  SEEK_LOG(kError, "tokenizer {}: encoding a {}-byte text failed: {}", file_, text.size(), ids.status().ToString());
  return {};
}

std::vector<std::vector<int32_t>> Tokenizer::EncodeBatch(const std::vector<std::string>& texts,
                                                         bool add_special_tokens, int threads) const {
  std::vector<std::vector<int32_t>> out(texts.size());
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(threads, std::max<size_t>(texts.size(), 1)));
  // Contiguous chunks of about equal bytes, dealt round robin: the same
  // texts go to the same thread on every call, and OpenMP's threads outlive
  // the call (libgomp keeps its pool), so the BPE model's per-thread word
  // caches are warm when a batch is encoded again.
  const size_t chunks = std::min<size_t>(texts.size(), static_cast<size_t>(threads) * 8);
  std::vector<size_t> begin(chunks + 1, texts.size());
  size_t total = 0;
  for (const std::string& t : texts) total += t.size() + 1;
  for (size_t i = 0, k = 0, bytes = 0; i < texts.size() && k < chunks; ++i) {
    if (bytes * chunks >= k * total) begin[k++] = i;
    bytes += texts[i].size() + 1;
  }
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (size_t c = 0; c < chunks; ++c)
    for (size_t i = begin[c]; i < begin[c + 1]; ++i) out[i] = Encode(texts[i], add_special_tokens);
  return out;
}

const Tokenizer::AddedToken* Tokenizer::FindAdded(int32_t id) const {
  const auto it = added_by_id_.find(id);
  return it == added_by_id_.end() ? nullptr : &added_[it->second];
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const AddedToken* t = FindAdded(id)) {
      if (!(skip_special_tokens && t->special)) tokens.push_back(t->content);
      continue;
    }
    const std::string* token = model_->IdToToken(id);
    if (token == nullptr || token->empty()) continue;
    // The reference filters special tokens by their text, whatever id made it.
    if (skip_special_tokens && IsSpecialContent(*token)) continue;
    tokens.push_back(*token);
  }
  std::string text =
      decoder_->Decode(std::move(tokens), [this](std::string_view s) { return FindAddedContent(s) != nullptr; });
  // As the reference: with a decoder, the model's end_of_word_suffix becomes a space.
  const std::string& suffix = model_->end_of_word_suffix();
  if (!suffix.empty() && !decoder_->is_null()) {
    std::string spaced = ReplaceAllLiteral(text, suffix, " ");
    text = skip_special_tokens ? std::string(JsTrimEnd(JsTrimStart(spaced))) : std::move(spaced);
  }
  return text;
}

const Tokenizer::AddedToken* Tokenizer::FindAddedContent(std::string_view content) const {
  const TrieNode* node = trie_.get();
  for (char c : content) {
    const auto it = node->children.find(c);
    if (it == node->children.end()) return nullptr;
    node = it->second.get();
  }
  return node->added >= 0 ? &added_[node->added] : nullptr;
}

bool Tokenizer::IsSpecialContent(std::string_view content) const {
  const AddedToken* t = FindAddedContent(content);
  return t != nullptr && t->special;
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  if (const AddedToken* t = FindAddedContent(token)) return t->id;
  return model_->TokenToId(token);
}

std::optional<std::string> Tokenizer::IdToToken(int32_t id) const {
  if (const AddedToken* t = FindAdded(id)) return t->content;
  const std::string* token = model_->IdToToken(id);
  if (token == nullptr || token->empty()) return std::nullopt;
  return *token;
}

int32_t Tokenizer::vocab_size() const {
  int32_t n = model_->vocab_size();
  for (const AddedToken& t : added_) n = std::max(n, t.id + 1);
  return n;
}

}  // namespace seek
