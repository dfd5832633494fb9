// core/random.h — a small, fast, reproducible random generator.
//
// xoshiro256** seeded through splitmix64, with its own normal sampler (Box-
// Muller), so the same seed gives the same numbers on every platform and
// standard library (std::normal_distribution does not promise that).
#pragma once

#include <cmath>
#include <cstdint>

namespace seek {

// One splitmix64 step: a fixed, platform-independent 64-bit mixer (hashing
// seeds and indices into well-spread values).
inline uint64_t SplitMix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { Seed(seed); }
  void Seed(uint64_t seed) {
    for (auto& s : s_) {
      s = SplitMix64(seed);
      seed += 0x9e3779b97f4a7c15ull;
    }
  }
  uint64_t NextU64() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 24 bits of mantissa.
  float Uniform() { return static_cast<float>(NextU64() >> 40) * (1.0f / 16777216.0f); }
  // Uniform integer in [0, n).
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : NextU64() % n; }
  float Normal() {
    double u1 = (static_cast<double>(NextU64() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = static_cast<double>(NextU64() >> 11) * (1.0 / 9007199254740992.0);
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace seek
