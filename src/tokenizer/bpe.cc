// tokenizer/bpe.cc — see bpe.h.
#include "tokenizer/bpe.h"

#include <functional>
#include <queue>

#include "tokenizer/unicode.h"

namespace seek {

StatusOr<std::unique_ptr<BpeModel>> BpeModel::FromJson(const nlohmann::json& m, const std::string& file) {
  auto model = std::unique_ptr<BpeModel>(new BpeModel());
  const auto str_or_empty = [&](const char* key) -> std::string {
    return m.contains(key) && m[key].is_string() ? m[key].get<std::string>() : "";
  };
  if (m.contains("dropout") && !m["dropout"].is_null() && m["dropout"] != 0.0)
    return UnimplementedError("{}: model.dropout = {} is not supported (only null)", file, m["dropout"].dump());
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (!str_or_empty(key).empty())
      return UnimplementedError("{}: model.{} = {:?} is not supported (only null or \"\")", file, key,
                                str_or_empty(key));
  }
  model->byte_fallback_ = m.value("byte_fallback", false);
  model->ignore_merges_ = m.value("ignore_merges", false);

  if (!m.contains("vocab") || !m["vocab"].is_object())
    return DataLossError("{}: model.vocab must be an object of token -> id", file);
  model->vocab_.reserve(m["vocab"].size());
  for (const auto& [token, id_json] : m["vocab"].items()) {
    if (!id_json.is_number_integer() || id_json.get<int64_t>() < 0 || id_json.get<int64_t>() >= (1 << 30))
      return DataLossError("{}: model.vocab[{:?}] = {} is not a valid id", file, token, id_json.dump());
    const auto id = id_json.get<int32_t>();
    model->vocab_[token] = id;
    if (static_cast<size_t>(id) >= model->id_to_token_.size()) model->id_to_token_.resize(id + 1);
    model->id_to_token_[id] = token;
  }
  if (m.contains("unk_token") && m["unk_token"].is_string()) {
    const auto it = model->vocab_.find(m["unk_token"].get<std::string>());
    if (it == model->vocab_.end())
      return DataLossError("{}: model.unk_token {:?} is not in the vocabulary", file, m["unk_token"].get<std::string>());
    model->unk_id_ = it->second;
  }

  if (!m.contains("merges") || !m["merges"].is_array())
    return DataLossError("{}: model.merges must be an array", file);
  const auto& merges = m["merges"];
  model->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& entry = merges[rank];
    std::string a, b;
    if (entry.is_string()) {  // "a b" (tokenizers < 0.20)
      const std::string s = entry.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos)
        return DataLossError("{}: model.merges[{}] = {:?} is not \"left right\"", file, rank, s);
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
      a = entry[0].get<std::string>();
      b = entry[1].get<std::string>();
    } else {
      return DataLossError("{}: model.merges[{}] = {} is neither \"left right\" nor [left, right]", file, rank,
                           entry.dump());
    }
    const auto ia = model->vocab_.find(a), ib = model->vocab_.find(b), ir = model->vocab_.find(a + b);
    if (ia == model->vocab_.end() || ib == model->vocab_.end() || ir == model->vocab_.end())
      return DataLossError("{}: model.merges[{}] ({:?}, {:?}) uses a token that is not in the vocabulary", file,
                           rank, a, b);
    // The first occurrence of a pair wins, as in Hugging Face tokenizers.
    model->merges_.try_emplace(PairKey(ia->second, ib->second), Merge{static_cast<int32_t>(rank), ir->second});
  }
  return model;
}

std::optional<int32_t> BpeModel::TokenToId(std::string_view token) const {
  const auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) return nullptr;
  return &id_to_token_[id];
}

void BpeModel::AppendUnknown(std::string_view symbol, std::vector<int32_t>* ids) const {
  if (byte_fallback_) {
    std::vector<int32_t> bytes;
    for (char c : symbol) {
      const auto id = TokenToId(fmt::format("<0x{:02X}>", static_cast<uint8_t>(c)));
      if (!id) {
        bytes.clear();
        break;
      }
      bytes.push_back(*id);
    }
    if (!bytes.empty()) {
      ids->insert(ids->end(), bytes.begin(), bytes.end());
      return;
    }
  }
  if (unk_id_) ids->push_back(*unk_id_);
}

void BpeModel::MergeWord(std::string_view word, std::vector<int32_t>* ids) const {
  // Symbols form a linked list over the word; id -1 marks one outside the
  // vocabulary (it never merges). len == 0 marks a symbol merged away.
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    uint32_t begin, len;  // bytes of `word`
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size();) {
    const size_t n = std::min<size_t>(Utf8SequenceLength(static_cast<uint8_t>(word[i])), word.size() - i);
    const auto id = TokenToId(word.substr(i, n));
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id ? *id : -1, index - 1, index + 1, static_cast<uint32_t>(i), static_cast<uint32_t>(n)});
    i += n;
  }
  if (!symbols.empty()) symbols.back().next = -1;

  // Candidate merges ordered by (rank, position of the left symbol).
  struct Candidate {
    int32_t rank, left, right_id, result;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  const auto consider = [&](int32_t left) {
    const int32_t right = symbols[left].next;
    if (right < 0 || symbols[left].id < 0 || symbols[right].id < 0) return;
    const auto it = merges_.find(PairKey(symbols[left].id, symbols[right].id));
    if (it != merges_.end()) queue.push({it->second.rank, left, symbols[right].id, it->second.result});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) consider(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& left = symbols[c.left];
    // Stale if the left symbol was merged away or changed, or its neighbour did.
    if (left.len == 0 || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    const auto it = merges_.find(PairKey(left.id, right.id));
    if (it == merges_.end() || it->second.rank != c.rank || right.id != c.right_id) continue;
    left.id = c.result;
    left.len += right.len;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = c.left;
    if (left.prev >= 0) consider(left.prev);
    consider(c.left);
  }
  for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) {
    if (symbols[i].id >= 0) {
      ids->push_back(symbols[i].id);
    } else {
      AppendUnknown(word.substr(symbols[i].begin, symbols[i].len), ids);
    }
  }
}

void BpeModel::EncodeWord(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const auto id = TokenToId(word)) {
      ids->push_back(*id);
      return;
    }
  }
  if (word.size() > kMaxCachedWordBytes) {
    MergeWord(word, ids);
    return;
  }
  const std::string key(word);
  CacheShard& shard = cache_[std::hash<std::string>()(key) % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    const auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> word_ids;
  MergeWord(word, &word_ids);
  ids->insert(ids->end(), word_ids.begin(), word_ids.end());
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.map.size() >= kMaxEntriesPerShard) shard.map.clear();
  shard.map.emplace(key, std::move(word_ids));
}

}  // namespace seek
