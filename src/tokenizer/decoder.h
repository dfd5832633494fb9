// tokenizer/decoder.h — the "decoder" section of tokenizer.json: turns the
// token strings of a sequence of ids back into text, as the reference
// (transformers.js) does.
//
// Supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace,
// BPEDecoder, Sequence of these, and null (tokens joined with spaces).
// Others (WordPiece, CTC, ...) are rejected with UnimplementedError.
//
// Each step maps a list of strings to a list of strings; the result is their
// concatenation. A top-level ByteLevel decoder keeps added tokens apart
// from the byte-level ones (their content is not in the byte alphabet); one
// nested in a Sequence does not, exactly as in the reference.
//
// Thread-safety: immutable after construction; Decode may run concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

class Decoder {
 public:
  // `config` may be null. `file` names the source in errors.
  static StatusOr<std::unique_ptr<Decoder>> FromJson(const nlohmann::json& config, const std::string& file);
  ~Decoder();

  // `tokens` are vocabulary spellings and added tokens' content, in order;
  // `is_added(token)` says whether a string is an added token's content.
  std::string Decode(std::vector<std::string> tokens, const std::function<bool(std::string_view)>& is_added) const;

  // True if the decoder is a ByteLevel one (at the top or in a Sequence).
  bool byte_level() const;
  // True if tokenizer.json has no decoder (tokens are joined with spaces).
  bool is_null() const { return null_; }

 private:
  struct Step;
  Decoder();
  static Status AddSteps(const nlohmann::json& config, const std::string& file, bool top_level, Decoder* d);
  std::vector<Step> steps_;
  bool null_ = true;  // no decoder section: join with " "
};

}  // namespace seek
