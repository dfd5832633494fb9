// tokenizer/unicode.h — UTF-8 repair, Unicode normalisation and the GPT-2
// byte-to-character map used by byte-level BPE tokenizers.
//
// All functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace seek {

// Returns `text` with every ill-formed UTF-8 subsequence replaced by U+FFFD,
// using the WHATWG/Unicode "maximal subpart" rule — the same output as a
// JavaScript TextDecoder or Python's bytes.decode(errors="replace"). Valid
// UTF-8 comes back unchanged (surrogates and code points > U+10FFFF are
// ill-formed). `replaced`, when given, gets the number of U+FFFD inserted.
std::string RepairUtf8(std::string_view text, size_t* replaced = nullptr);
bool IsValidUtf8(std::string_view text);

// Length in bytes of the UTF-8 sequence that starts with `lead` (1 for a
// stray continuation byte). Input must be valid UTF-8 for this to be exact.
inline int Utf8SequenceLength(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

void AppendUtf8(uint32_t code_point, std::string* out);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };

// Unicode normalisation of valid UTF-8 text (ICU). Fails only if ICU's data
// is unavailable.
StatusOr<std::string> Normalize(NormalForm form, std::string_view text);

// The GPT-2 byte-level alphabet: each byte maps to one printable code point
// (bytes that are printable Latin-1 map to themselves, the rest to U+0100…).
class ByteLevelAlphabet {
 public:
  static const ByteLevelAlphabet& Get();
  // UTF-8 of the character that stands for byte `b`.
  const std::string& Encode(uint8_t b) const { return encoded_[b]; }
  // Maps a code point back to its byte; -1 if it is not in the alphabet.
  int Decode(uint32_t code_point) const {
    return code_point < decoded_.size() ? decoded_[code_point] : -1;
  }
  // The byte-level spelling of arbitrary bytes.
  std::string EncodeBytes(std::string_view bytes) const;

 private:
  ByteLevelAlphabet();
  std::array<std::string, 256> encoded_;
  std::array<int16_t, 512> decoded_;
};

}  // namespace seek
