// data/minhash.h — MinHash signatures and LSH band keys of documents, the
// first phase of near-duplicate detection (dedup.h is the second).
//
// Follows datatrove's MinhashDedupSignature (pipeline/dedup/minhash.py) with
// its defaults: the text is simplified (text_simplify.h) and cut into word
// 5-grams; each shingle is hashed with xxh64 of its words joined by single
// spaces (xxh32 when precision is 32), exactly as datatrove hashes
// " ".join(ngram); the signature holds, for each of 14 x 8 = 112 hash
// functions h_k(x) = ((a_k * x + b_k) mod 2^64) mod (2^61 - 1), the minimum
// over the document's shingles. The mod 2^64 is datatrove's too: numpy
// computes shingles * a + b in uint64 and wraps before `% _mersenne_prime`.
// a_k is drawn uniformly from [1, 2^61 - 1) and b_k from [0, 2^61 - 1) by
// seek::Rng(seed) (datatrove draws them with numpy's RandomState(seed), so
// the values, not the family, differ: signatures are not interchangeable
// with datatrove's files). With precision 32 the permuted values are masked
// to their low 32 bits before the minimum, as datatrove does.
//
// A document with fewer than n_grams words has no signature and is never a
// near-duplicate (datatrove writes none for it either).
//
// Band b's key is XXH3-128 of rows [b*r, (b+1)*r) of the signature as
// little-endian uint64: 16 bytes to exchange instead of r*8, and two
// different bands of rows share a key with probability ~2^-128.
//
// Everything here is a pure function of (config, text): documents can be
// sketched on any thread or MPI rank in any order.
// Thread-safety: MinHasher is immutable after Create; Scratch is per thread.
#pragma once

#include <compare>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "data/text_simplify.h"

namespace seek {

// Names and defaults as datatrove's MinhashConfig (+ the optional Jaccard
// check, which datatrove does not have).
struct MinHashConfig {
  int n_grams = 5;            // words per shingle
  int num_buckets = 14;       // LSH bands
  int hashes_per_bucket = 8;  // rows per band
  uint64_t seed = 1;          // draws the permutations; equal on all workers
  int precision = 64;         // 64: xxh64 shingles; 32: xxh32 shingles, 32-bit minimums
  TextSimplifyConfig norm;
  // Phase two: keep a candidate pair only if the exact Jaccard similarity of
  // the two shingle sets is >= jaccard_threshold (drops LSH false positives;
  // costs the shingle sets' memory, 8 bytes per distinct shingle).
  bool check_jaccard = false;
  double jaccard_threshold = 0.7;  // near the S-curve's midpoint (1/14)^(1/8) = 0.72

  int num_hashes() const { return num_buckets * hashes_per_bucket; }
};

// `base` with the keys of `overrides` (a JSON object) applied. Keys:
// n_grams, num_buckets, hashes_per_bucket, seed, precision, check_jaccard,
// jaccard_threshold, norm {lowercase, remove_punctuation,
// norm_unicode_diacritics, norm_numbers}. An unknown key, a wrong type or an
// out-of-range value is an InvalidArgument error naming it; `where` prefixes
// key names ("dedup.minhash").
StatusOr<MinHashConfig> MinHashConfigFromJson(const nlohmann::json& overrides,
                                              const MinHashConfig& base = {},
                                              const std::string& where = "minhash");
Status ValidateMinHashConfig(const MinHashConfig& config, const std::string& where = "minhash");

constexpr uint64_t kMersenne61 = (uint64_t{1} << 61) - 1;

struct BandKey {
  uint64_t lo = 0, hi = 0;
  auto operator<=>(const BandKey&) const = default;
};

class MinHasher {
 public:
  // Fails when the config is out of range (ValidateMinHashConfig).
  static StatusOr<MinHasher> Create(const MinHashConfig& config);

  // Reusable buffers of one thread.
  struct Scratch {
    std::string simplified;
    std::vector<uint32_t> word_ends;
  };

  const MinHashConfig& config() const { return config_; }
  const std::vector<uint64_t>& a() const { return a_; }  // [num_hashes]
  const std::vector<uint64_t>& b() const { return b_; }  // [num_hashes]

  // Hashes of the document's shingles in text order (duplicates included),
  // appended to `out`; none when it has fewer than n_grams words.
  void Shingles(std::string_view text, Scratch* scratch, std::vector<uint64_t>* out) const;
  // sig: [num_hashes]. Returns false (sig untouched) when there are no shingles.
  bool Signature(std::string_view text, Scratch* scratch, uint64_t* sig) const;
  // sig: [num_hashes] of shingle hashes from Shingles (at least one).
  void SignatureOfShingles(std::span<const uint64_t> shingles, uint64_t* sig) const;
  // keys: [num_buckets], from sig: [num_hashes].
  void BandKeys(const uint64_t* sig, BandKey* keys) const;

 private:
  MinHashConfig config_;
  std::vector<uint64_t> a_, b_;
};

// Reference twin of MinHasher::Signature: SimplifyTextRef, each n-gram
// joined into its own string, each permutation computed with 128-bit
// arithmetic and a plain `%`.
bool SignatureRef(std::string_view text, const MinHasher& hasher, std::vector<uint64_t>* sig);
// Its shingle hashes, in text order.
std::vector<uint64_t> ShinglesRef(std::string_view text, const MinHashConfig& config);

// Phase one for a batch of documents, on all OpenMP threads (dynamic
// schedule: document lengths vary). The result depends only on the texts.
struct MinHashSketches {
  int num_buckets = 0;
  std::vector<BandKey> band_keys;      // [n_docs, num_buckets]; zero where no signature
  std::vector<uint8_t> has_signature;  // [n_docs]
  // [n_docs] sorted distinct shingle hashes; filled only when
  // config.check_jaccard (phase two needs them then), else empty.
  std::vector<std::vector<uint64_t>> shingle_sets;

  size_t size() const { return has_signature.size(); }
};
MinHashSketches ComputeSketches(const MinHasher& hasher, std::span<const std::string_view> texts);

// |A ∩ B| / |A ∪ B| of two sorted distinct sets (1 when both are empty).
double Jaccard(std::span<const uint64_t> a, std::span<const uint64_t> b);

}  // namespace seek
