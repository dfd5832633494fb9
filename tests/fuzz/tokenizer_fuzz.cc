// tests/fuzz/tokenizer_fuzz.cc — libFuzzer target for tokenizer.json loading and encoding.
//
// The input is used twice: as a tokenizer.json (any bytes must load or fail
// with a Status naming the source; a loaded tokenizer must encode and decode
// a few fixed texts and the input itself without crashing), and as text
// encoded by a fixed byte-level BPE tokenizer with merges and special tokens,
// where decode(encode(x)) must give x back for valid UTF-8 x.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/check.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace {

const seek::Tokenizer& FixedTokenizer() {
  static const seek::Tokenizer* t = [] {
    nlohmann::json vocab = nlohmann::json::object();
    const seek::ByteLevelAlphabet& a = seek::ByteLevelAlphabet::Get();
    for (int b = 0; b < 256; ++b) vocab[a.Encode(static_cast<uint8_t>(b))] = b;
    const std::string sp = a.Encode(' ');
    const char* extra[] = {"th", "the", "in", "an", "and"};
    int id = 256;
    for (const char* e : extra) vocab[e] = id++;
    vocab[sp + "the"] = id++;
    nlohmann::json j = {
        {"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr},
        {"added_tokens", {{{"id", id}, {"content", "<|end|>"}, {"single_word", false},
                           {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                           {"special", true}}}},
        {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
        {"post_processor", {{"type", "ByteLevel"}}},
        {"decoder", {{"type", "ByteLevel"}}},
        {"model", {{"type", "BPE"}, {"vocab", vocab},
                   {"merges", {"t h", "th e", "i n", "a n", "an d", sp + " the"}}}}};
    auto r = seek::Tokenizer::FromJsonString(j.dump(), "fixed");
    CHECK_OK(r.status());
    return r->release();
  }();
  return *t;
}

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (int k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto t = seek::Tokenizer::FromJsonString(input, "fuzz");
  if (t.ok()) {
    for (const std::string& text : {std::string("Hello, world! 12345"), std::string(" \n\t ünïcode 漢字"),
                                    input.substr(0, 200)}) {
      auto ids = (*t)->EncodeOrError(text, true);
      if (ids.ok()) (void)(*t)->Decode(*ids);
    }
  } else {
    CHECK(t.status().message().find("fuzz") != std::string::npos);
  }
  const seek::Tokenizer& fixed = FixedTokenizer();
  auto ids = fixed.EncodeOrError(input, false);
  CHECK_OK(ids.status());
  if (ValidUtf8(input)) CHECK(fixed.Decode(*ids) == input);
  return 0;
}
