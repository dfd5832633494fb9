// tokenizer/bpe.cc — see bpe.h.
#include "tokenizer/bpe.h"

#include <algorithm>
#include <atomic>
#include <climits>
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
  model->prefix_ = str_or_empty("continuing_subword_prefix");
  model->suffix_ = str_or_empty("end_of_word_suffix");
  if (!IsValidUtf8(model->prefix_) || !IsValidUtf8(model->suffix_))
    return DataLossError("{}: model.continuing_subword_prefix / end_of_word_suffix must be valid UTF-8", file);
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
  model->merges_.Reserve(merges.size());
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
    // With a continuing_subword_prefix the right token carries it and the
    // merged token does not (as Hugging Face tokenizers builds its merge map).
    if (b.compare(0, model->prefix_.size(), model->prefix_) != 0)
      return DataLossError("{}: model.merges[{}] ({:?}, {:?}): the right token lacks the continuing_subword_prefix "
                           "{:?}",
                           file, rank, a, b, model->prefix_);
    const auto ia = model->vocab_.find(a), ib = model->vocab_.find(b),
               ir = model->vocab_.find(a + b.substr(model->prefix_.size()));
    if (ia == model->vocab_.end() || ib == model->vocab_.end() || ir == model->vocab_.end())
      return DataLossError("{}: model.merges[{}] ({:?}, {:?}) uses a token that is not in the vocabulary", file,
                           rank, a, b);
    // The first occurrence of a pair wins, as in Hugging Face tokenizers.
    model->merges_.TryInsert(PairKey(ia->second, ib->second), Merge{static_cast<int32_t>(rank), ir->second});
  }
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  // The raw-byte path spells symbols as bare characters: not with affixes.
  model->byte_ids_ok_ = model->prefix_.empty() && model->suffix_.empty();
  for (int b = 0; b < 256; ++b) {
    const auto id = model->TokenToId(alphabet.Encode(static_cast<uint8_t>(b)));
    model->byte_ids_[b] = id ? *id : -1;
    if (!id) model->byte_ids_ok_ = false;
  }
  if (model->byte_ids_ok_) {
    model->byte_pair_merges_.assign(256 * 256, Merge{INT_MAX, -1});
    for (int a = 0; a < 256; ++a)
      for (int b = 0; b < 256; ++b)
        if (const Merge* m = model->FindMerge(model->byte_ids_[a], model->byte_ids_[b]))
          model->byte_pair_merges_[a << 8 | b] = *m;
  }
  static std::atomic<uint64_t> next_uid{1};
  model->uid_ = next_uid.fetch_add(1);
  return model;
}

void BpeModel::PairMap::Reserve(size_t n) {
  size_t size = 16;
  while (size < 2 * n) size *= 2;
  entries_.assign(size, Entry{});
  mask_ = size - 1;
  count_ = 0;
}

void BpeModel::PairMap::TryInsert(uint64_t key, Merge merge) {
  if (2 * (count_ + 1) > entries_.size()) {
    std::vector<Entry> old = std::move(entries_);
    Reserve(std::max<size_t>(count_ + 1, old.size()));
    for (const Entry& e : old)
      if (e.key != kEmpty) TryInsert(e.key, e.merge);
  }
  size_t i = Hash(key) & mask_;
  for (; entries_[i].key != kEmpty; i = (i + 1) & mask_)
    if (entries_[i].key == key) return;
  entries_[i] = Entry{key, merge};
  ++count_;
}

std::optional<int32_t> BpeModel::TokenToId(std::string_view token) const {
  const auto it = vocab_.find(token);
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

void BpeModel::MergeSymbols(std::string_view word, bool raw_bytes, std::vector<Symbol>& symbols, MergeLoop loop,
                            std::vector<int32_t>* ids) const {
  const auto* raw = raw_bytes && !byte_pair_merges_.empty() ? reinterpret_cast<const uint8_t*>(word.data()) : nullptr;
  if (loop != MergeLoop::kHeap && MergeLinear(symbols, raw, ids)) return;
  MergeHeap(word, symbols, ids);
}

bool BpeModel::MergeLinear(const std::vector<Symbol>& symbols, const uint8_t* raw, std::vector<int32_t>* ids) const {
  const size_t n = symbols.size();
  if (n > kMaxLinearSymbols) return false;
  int32_t id[kMaxLinearSymbols];
  // rank[i], result[i]: the merge of (id[i], id[i + 1]); INT_MAX if none.
  int32_t rank[kMaxLinearSymbols], result[kMaxLinearSymbols];
  for (size_t i = 0; i < n; ++i) {
    if (symbols[i].id < 0) return false;
    id[i] = symbols[i].id;
  }
  const auto set_pair = [&](size_t i) {
    const Merge* m = merges_.Find(PairKey(id[i], id[i + 1]));
    rank[i] = m ? m->rank : INT_MAX;
    result[i] = m ? m->result : -1;
  };
  size_t count = n;
  if (raw != nullptr) {
    for (size_t i = 0; i + 1 < count; ++i) {
      const Merge& m = byte_pair_merges_[static_cast<size_t>(raw[i]) << 8 | raw[i + 1]];
      rank[i] = m.rank;
      result[i] = m.result;
    }
  } else {
    for (size_t i = 0; i + 1 < count; ++i) set_pair(i);
  }
  while (count > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < count; ++i)
      if (rank[i] < rank[best]) best = i;  // strict: the leftmost of equal ranks
    if (rank[best] == INT_MAX) break;
    id[best] = result[best];
    // Drop symbol best + 1 and the pair (best, best + 1).
    for (size_t i = best + 1; i + 1 < count; ++i) {
      id[i] = id[i + 1];
      rank[i] = rank[i + 1];
      result[i] = result[i + 1];
    }
    --count;
    if (best > 0) set_pair(best - 1);
    if (best + 1 < count) set_pair(best);
  }
  ids->insert(ids->end(), id, id + count);
  return true;
}

void BpeModel::MergeHeap(std::string_view word, std::vector<Symbol>& symbol_list, std::vector<int32_t>* ids) const {
  // Symbols form a linked list over the word; id -1 marks one outside the
  // vocabulary (it never merges). len == 0 marks a symbol merged away.
  struct Node {
    int32_t id;
    int32_t prev, next;
    uint32_t begin, len;  // bytes of `word`
  };
  std::vector<Node> symbols;
  symbols.reserve(symbol_list.size());
  for (size_t i = 0; i < symbol_list.size(); ++i) {
    const auto index = static_cast<int32_t>(i);
    symbols.push_back({symbol_list[i].id, index - 1, index + 1, symbol_list[i].begin, symbol_list[i].len});
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
    if (right < 0) return;
    if (const Merge* m = FindMerge(symbols[left].id, symbols[right].id))
      queue.push({m->rank, left, symbols[right].id, m->result});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) consider(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Node& left = symbols[c.left];
    // Stale if the left symbol was merged away or changed, or its neighbour did.
    if (left.len == 0 || left.next < 0) continue;
    Node& right = symbols[left.next];
    const Merge* m = FindMerge(left.id, right.id);
    if (m == nullptr || m->rank != c.rank || right.id != c.right_id) continue;
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

void BpeModel::EncodeWordUncached(std::string_view word, MergeLoop loop, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const auto id = TokenToId(word)) {
      ids->push_back(*id);
      return;
    }
  }
  thread_local std::vector<Symbol> symbols;
  symbols.clear();
  if (!prefix_.empty() || !suffix_.empty()) {
    // Symbols are spelled prefix + character (all but the first) and
    // character + suffix (the last), in a string of their own.
    thread_local std::string spelled;
    spelled.clear();
    for (size_t i = 0; i < word.size();) {
      const size_t n = std::min<size_t>(Utf8SequenceLength(static_cast<uint8_t>(word[i])), word.size() - i);
      const size_t begin = spelled.size();
      if (i > 0) spelled += prefix_;
      spelled.append(word, i, n);
      i += n;
      if (i == word.size()) spelled += suffix_;
      const auto id = TokenToId(std::string_view(spelled).substr(begin));
      symbols.push_back({id ? *id : -1, static_cast<uint32_t>(begin), static_cast<uint32_t>(spelled.size() - begin)});
    }
    MergeSymbols(spelled, /*raw_bytes=*/false, symbols, loop, ids);
    return;
  }
  for (size_t i = 0; i < word.size();) {
    const size_t n = std::min<size_t>(Utf8SequenceLength(static_cast<uint8_t>(word[i])), word.size() - i);
    const auto id = TokenToId(word.substr(i, n));
    symbols.push_back({id ? *id : -1, static_cast<uint32_t>(i), static_cast<uint32_t>(n)});
    i += n;
  }
  MergeSymbols(word, /*raw_bytes=*/false, symbols, loop, ids);
}

void BpeModel::EncodeByteLevelWordUncached(std::string_view raw, MergeLoop loop, std::vector<int32_t>* ids) const {
  if (raw.empty()) return;
  if (!byte_ids_ok_ || ignore_merges_) {
    const std::string word = ByteLevelAlphabet::Get().EncodeBytes(raw);
    if (!byte_ids_ok_) return EncodeWordUncached(word, loop, ids);
    if (const auto id = TokenToId(word)) {
      ids->push_back(*id);
      return;
    }
  }
  thread_local std::vector<Symbol> symbols;
  symbols.clear();
  for (size_t i = 0; i < raw.size(); ++i)
    symbols.push_back({byte_ids_[static_cast<uint8_t>(raw[i])], static_cast<uint32_t>(i), 1});
  MergeSymbols(raw, /*raw_bytes=*/true, symbols, loop, ids);  // every byte is known: never read as a token
}

WordCache& BpeModel::ThreadCache(bool raw_bytes) const {
  struct Entry {
    uint64_t key = 0;
    WordCache cache;
  };
  thread_local std::array<Entry, kThreadCaches> caches;
  thread_local int next_victim = 0;
  const uint64_t key = uid_ * 2 + (raw_bytes ? 1 : 0);
  for (Entry& e : caches)
    if (e.key == key) return e.cache;
  Entry& e = caches[next_victim];
  next_victim = (next_victim + 1) % kThreadCaches;
  e.key = key;
  e.cache.Clear();
  return e.cache;
}

void BpeModel::EncodeWord(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (word.size() > kMaxCachedWordBytes) return EncodeWordUncached(word, MergeLoop::kAuto, ids);
  WordCache& cache = ThreadCache(false);
  const uint64_t hash = HashWord(word);
  if (cache.Find(word, hash, ids)) return;
  const size_t start = ids->size();
  EncodeWordUncached(word, MergeLoop::kAuto, ids);
  cache.Insert(word, hash, ids->data() + start, ids->size() - start);
}

void BpeModel::EncodeByteLevelWord(std::string_view raw, std::vector<int32_t>* ids) const {
  if (raw.empty()) return;
  if (raw.size() > kMaxCachedWordBytes) return EncodeByteLevelWordUncached(raw, MergeLoop::kAuto, ids);
  WordCache& cache = ThreadCache(true);
  const uint64_t hash = HashWord(raw);
  if (cache.Find(raw, hash, ids)) return;
  const size_t start = ids->size();
  EncodeByteLevelWordUncached(raw, MergeLoop::kAuto, ids);
  cache.Insert(raw, hash, ids->data() + start, ids->size() - start);
}

}  // namespace seek
