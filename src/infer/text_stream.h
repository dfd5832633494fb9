// infer/text_stream.h — incremental detokenization with stop strings.
//
// A request's output tokens arrive one at a time; its text must stream out in
// pieces such that the concatenation of the pieces is the final text. Two
// things are held back until they resolve:
//   - a trailing incomplete UTF-8 character (raw bytes of a byte-level
//     vocabulary, or the U+FFFD a tokenizer's decoder puts for a cut
//     character), so no piece ever ends mid-character;
//   - a trailing piece of text that is a prefix of some stop string.
// When a stop string appears, the text before it is emitted and the stream
// stops; neither the stop string nor anything after it is emitted.
// Decoding re-decodes the whole output each token (decoders merge across
// tokens), which costs O(n) per token: fine for outputs of a few thousand.
// Thread-safety: one per request; no shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace seek {

class TextStream {
 public:
  using DecodeFn = std::function<std::string(const std::vector<int32_t>&)>;
  TextStream(DecodeFn decode, std::vector<std::string> stop);

  // Adds a token; returns the text now safe to emit (maybe empty). Sets
  // *stopped when a stop string matched (the stream is then finished).
  std::string Push(int32_t token, bool* stopped);
  // The output ended (max_tokens, stop token): returns everything held back.
  std::string Flush();
  bool stopped() const { return stopped_; }
  // Everything emitted so far.
  const std::string& emitted() const { return emitted_; }

 private:
  std::string Emit(size_t end);

  DecodeFn decode_;
  std::vector<std::string> stop_;
  std::vector<int32_t> tokens_;
  std::string text_;     // decode(tokens_)
  std::string emitted_;  // a prefix of text_
  bool stopped_ = false;
};

// Bytes at the end of `s` that form an incomplete UTF-8 character (0-3),
// counting a trailing U+FFFD replacement character (3 bytes) as incomplete.
size_t IncompleteUtf8Tail(const std::string& s);

}  // namespace seek
