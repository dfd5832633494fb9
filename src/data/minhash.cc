#include "data/minhash.h"

#include <xxhash.h>

#include <algorithm>
#include <limits>

#include "core/random.h"
#include "core/threads.h"
#include "io/json_options.h"

namespace seek {
namespace {

// ((a * x + b) mod 2^64) mod (2^61 - 1), as datatrove's uint64 numpy code.
inline uint64_t Permute(uint64_t x, uint64_t a, uint64_t b) {
  const uint64_t y = a * x + b;
  const uint64_t r = (y & kMersenne61) + (y >> 61);  // < 2^61 + 8, congruent to y
  return r >= kMersenne61 ? r - kMersenne61 : r;
}

// Folds one block of shingles into the running minimums. The loop over the
// hash functions is the vectorised one (AVX-512: 8 lanes of vpmullq).
template <bool k32>
void FoldShingles(const uint64_t* shingles, size_t n, const uint64_t* __restrict a,
                  const uint64_t* __restrict b, uint64_t* __restrict mins, int num_hashes) {
  for (size_t s = 0; s < n; ++s) {
    const uint64_t x = shingles[s];
#pragma GCC ivdep
    for (int k = 0; k < num_hashes; ++k) {
      uint64_t v = Permute(x, a[k], b[k]);
      if constexpr (k32) v &= 0xFFFFFFFFu;
      mins[k] = v < mins[k] ? v : mins[k];
    }
  }
}

uint64_t HashShingle(const char* data, size_t len, int precision) {
  return precision == 32 ? XXH32(data, len, 0) : XXH64(data, len, 0);
}

// Calls fn(begin, end) for each n-gram's byte span in the simplified text.
template <typename Fn>
void ForEachShingle(const MinHasher::Scratch& s, int n_grams, Fn&& fn) {
  const auto& ends = s.word_ends;
  if (ends.size() < static_cast<size_t>(n_grams)) return;
  for (size_t i = 0; i + n_grams <= ends.size(); ++i) {
    const uint32_t begin = i == 0 ? 0 : ends[i - 1] + 1;
    fn(begin, ends[i + n_grams - 1]);
  }
}

}  // namespace

Status ValidateMinHashConfig(const MinHashConfig& c, const std::string& where) {
  if (c.n_grams < 1 || c.n_grams > 1000)
    return InvalidArgumentError("{}.n_grams = {}: expected 1..1000", where, c.n_grams);
  if (c.num_buckets < 1 || c.num_buckets > 1024)
    return InvalidArgumentError("{}.num_buckets = {}: expected 1..1024", where, c.num_buckets);
  if (c.hashes_per_bucket < 1 || c.hashes_per_bucket > 1024)
    return InvalidArgumentError("{}.hashes_per_bucket = {}: expected 1..1024", where,
                                c.hashes_per_bucket);
  if (c.num_hashes() > 4096)
    return InvalidArgumentError("{}: num_buckets * hashes_per_bucket = {}: expected at most 4096",
                                where, c.num_hashes());
  if (c.precision != 32 && c.precision != 64)
    return InvalidArgumentError("{}.precision = {}: expected 32 or 64", where, c.precision);
  if (!(c.jaccard_threshold >= 0 && c.jaccard_threshold <= 1))
    return InvalidArgumentError("{}.jaccard_threshold = {}: expected a number in [0, 1]", where,
                                c.jaccard_threshold);
  return Status::Ok();
}

StatusOr<MinHashConfig> MinHashConfigFromJson(const nlohmann::json& overrides,
                                              const MinHashConfig& base, const std::string& where) {
  MinHashConfig c = base;
  JsonOptions f(overrides, where);
  RETURN_IF_ERROR(f.CheckObject());
  RETURN_IF_ERROR(f.ReadInt("n_grams", 1, 1000, &c.n_grams));
  RETURN_IF_ERROR(f.ReadInt("num_buckets", 1, 1024, &c.num_buckets));
  RETURN_IF_ERROR(f.ReadInt("hashes_per_bucket", 1, 1024, &c.hashes_per_bucket));
  RETURN_IF_ERROR(f.ReadUint64("seed", &c.seed));
  RETURN_IF_ERROR(f.ReadInt("precision", 32, 64, &c.precision));
  RETURN_IF_ERROR(f.ReadBool("check_jaccard", &c.check_jaccard));
  RETURN_IF_ERROR(f.ReadDouble("jaccard_threshold", 0, 1, &c.jaccard_threshold));
  if (const nlohmann::json* norm = f.Nested("norm")) {
    JsonOptions n(*norm, f.Path("norm"));
    RETURN_IF_ERROR(n.CheckObject());
    RETURN_IF_ERROR(n.ReadBool("lowercase", &c.norm.lowercase));
    RETURN_IF_ERROR(n.ReadBool("remove_punctuation", &c.norm.remove_punctuation));
    RETURN_IF_ERROR(n.ReadBool("norm_unicode_diacritics", &c.norm.norm_unicode_diacritics));
    RETURN_IF_ERROR(n.ReadBool("norm_numbers", &c.norm.norm_numbers));
    RETURN_IF_ERROR(n.Finish());
  }
  RETURN_IF_ERROR(f.Finish());
  RETURN_IF_ERROR(ValidateMinHashConfig(c, where));
  return c;
}

StatusOr<MinHasher> MinHasher::Create(const MinHashConfig& config) {
  RETURN_IF_ERROR(ValidateMinHashConfig(config));
  MinHasher h;
  h.config_ = config;
  // Masked rejection sampling (numpy's method for bounded integers): the
  // low 61 bits are uniform on [0, 2^61 - 1]; reject what is out of range.
  Rng rng(config.seed);
  auto draw = [&](uint64_t low) {
    for (;;) {
      const uint64_t v = rng.NextU64() & kMersenne61;
      if (v >= low && v < kMersenne61) return v;
    }
  };
  const int n = config.num_hashes();
  for (int k = 0; k < n; ++k) h.a_.push_back(draw(1));
  for (int k = 0; k < n; ++k) h.b_.push_back(draw(0));
  return h;
}

void MinHasher::Shingles(std::string_view text, Scratch* s, std::vector<uint64_t>* out) const {
  SimplifyText(text, config_.norm, &s->simplified, &s->word_ends);
  ForEachShingle(*s, config_.n_grams, [&](uint32_t begin, uint32_t end) {
    out->push_back(HashShingle(s->simplified.data() + begin, end - begin, config_.precision));
  });
}

bool MinHasher::Signature(std::string_view text, Scratch* s, uint64_t* sig) const {
  SimplifyText(text, config_.norm, &s->simplified, &s->word_ends);
  if (s->word_ends.size() < static_cast<size_t>(config_.n_grams)) return false;
  const int n = config_.num_hashes();
  std::fill(sig, sig + n, std::numeric_limits<uint64_t>::max());
  constexpr size_t kBlock = 64;  // shingles hashed, then folded: no allocation
  uint64_t block[kBlock];
  size_t filled = 0;
  auto flush = [&] {
    if (config_.precision == 32)
      FoldShingles<true>(block, filled, a_.data(), b_.data(), sig, n);
    else
      FoldShingles<false>(block, filled, a_.data(), b_.data(), sig, n);
    filled = 0;
  };
  ForEachShingle(*s, config_.n_grams, [&](uint32_t begin, uint32_t end) {
    block[filled++] = HashShingle(s->simplified.data() + begin, end - begin, config_.precision);
    if (filled == kBlock) flush();
  });
  flush();
  return true;
}

void MinHasher::SignatureOfShingles(std::span<const uint64_t> shingles, uint64_t* sig) const {
  const int n = config_.num_hashes();
  std::fill(sig, sig + n, std::numeric_limits<uint64_t>::max());
  if (config_.precision == 32)
    FoldShingles<true>(shingles.data(), shingles.size(), a_.data(), b_.data(), sig, n);
  else
    FoldShingles<false>(shingles.data(), shingles.size(), a_.data(), b_.data(), sig, n);
}

void MinHasher::BandKeys(const uint64_t* sig, BandKey* keys) const {
  const int r = config_.hashes_per_bucket;
  for (int band = 0; band < config_.num_buckets; ++band) {
    uint64_t rows[1024];
    for (int k = 0; k < r; ++k) rows[k] = sig[band * r + k];  // little-endian hosts (x86, arm64)
    const XXH128_hash_t h = XXH3_128bits(rows, sizeof(uint64_t) * r);
    keys[band] = {h.low64, h.high64};
  }
}

std::vector<uint64_t> ShinglesRef(std::string_view text, const MinHashConfig& c) {
  const std::string simple = SimplifyTextRef(text, c.norm);
  std::vector<std::string> words;
  for (size_t i = 0; i < simple.size();) {
    size_t j = simple.find(' ', i);
    if (j == std::string::npos) j = simple.size();
    words.push_back(simple.substr(i, j - i));
    i = j + 1;
  }
  std::vector<uint64_t> shingles;
  for (size_t i = 0; i + c.n_grams <= words.size(); ++i) {
    std::string shingle = words[i];
    for (int k = 1; k < c.n_grams; ++k) shingle += " " + words[i + k];
    shingles.push_back(c.precision == 32 ? XXH32(shingle.data(), shingle.size(), 0)
                                         : XXH64(shingle.data(), shingle.size(), 0));
  }
  return shingles;
}

bool SignatureRef(std::string_view text, const MinHasher& hasher, std::vector<uint64_t>* sig) {
  const MinHashConfig& c = hasher.config();
  const std::vector<uint64_t> shingles = ShinglesRef(text, c);
  if (shingles.empty()) return false;
  sig->assign(c.num_hashes(), std::numeric_limits<uint64_t>::max());
  const unsigned __int128 two64 = static_cast<unsigned __int128>(1) << 64;
  for (uint64_t x : shingles) {
    for (int k = 0; k < c.num_hashes(); ++k) {
      const unsigned __int128 y = static_cast<unsigned __int128>(hasher.a()[k]) * x + hasher.b()[k];
      uint64_t v = static_cast<uint64_t>((y % two64) % kMersenne61);
      if (c.precision == 32) v &= 0xFFFFFFFFu;
      (*sig)[k] = std::min((*sig)[k], v);
    }
  }
  return true;
}

MinHashSketches ComputeSketches(const MinHasher& hasher, std::span<const std::string_view> texts) {
  const MinHashConfig& c = hasher.config();
  MinHashSketches out;
  const int64_t n = static_cast<int64_t>(texts.size());
  out.num_buckets = c.num_buckets;
  out.band_keys.assign(texts.size() * c.num_buckets, BandKey{});
  out.has_signature.assign(texts.size(), 0);
  if (c.check_jaccard) out.shingle_sets.resize(texts.size());
#pragma omp parallel num_threads(NumThreads()) if (n > 1)
  {
    MinHasher::Scratch scratch;
    std::vector<uint64_t> sig(c.num_hashes());
#pragma omp for schedule(dynamic, 8)
    for (int64_t i = 0; i < n; ++i) {
      if (c.check_jaccard) {  // the shingles are kept: fold them from there
        std::vector<uint64_t>& set = out.shingle_sets[i];
        hasher.Shingles(texts[i], &scratch, &set);
        if (set.empty()) continue;
        hasher.SignatureOfShingles(set, sig.data());
        std::sort(set.begin(), set.end());
        set.erase(std::unique(set.begin(), set.end()), set.end());
        set.shrink_to_fit();
      } else if (!hasher.Signature(texts[i], &scratch, sig.data())) {
        continue;
      }
      out.has_signature[i] = 1;
      hasher.BandKeys(sig.data(), &out.band_keys[i * c.num_buckets]);
    }
  }
  return out;
}

double Jaccard(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  if (a.empty() && b.empty()) return 1.0;
  size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j])
      ++i;
    else if (b[j] < a[i])
      ++j;
    else
      ++common, ++i, ++j;
  }
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

}  // namespace seek
