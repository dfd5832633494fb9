// tokenizer/bytes.h — the byte-level vocabulary: ids 0-255 are bytes, 256 ends a text.
//
// The default corpus and the trainer use it until BPE tokenizers
// (tokenizer.json) land. A model trained on it says so in config.json
// ("seek_tokenizer": "bytes") so `seek sample` can print text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seek {

struct ByteTokenizer {
  static constexpr int32_t kEndOfText = 256;
  static constexpr int64_t kVocabSize = 257;
  static constexpr const char* kConfigKey = "seek_tokenizer";
  static constexpr const char* kConfigValue = "bytes";

  static std::vector<int32_t> Encode(std::string_view text) {
    std::vector<int32_t> ids(text.size());
    for (size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<uint8_t>(text[i]);
    return ids;
  }
  // Ids >= 256 (end of text) are dropped; the bytes are returned as they are,
  // which may be invalid UTF-8 where a sample cut a character.
  static std::string Decode(const std::vector<int32_t>& ids) {
    std::string out;
    for (int32_t id : ids)
      if (id >= 0 && id < 256) out.push_back(static_cast<char>(id));
    return out;
  }
};

}  // namespace seek
