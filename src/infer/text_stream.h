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
// Decoding is windowed, as in HF's TextStreamer and vLLM: each token decodes
// only the tokens since the last settled point (prefix window) twice, and the
// new text is the difference, taken only once it no longer ends in an
// incomplete character. So a token costs O(window), not O(output), and
// decoders that merge across tokens (byte-level BPE, byte fallback,
// Metaspace) see enough context.
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
  std::string DecodeRange(size_t begin, size_t end) const;

  DecodeFn decode_;
  std::vector<std::string> stop_;
  std::vector<int32_t> tokens_;
  size_t prefix_offset_ = 0;  // tokens_[prefix_offset_, read_offset_) decode to the
  size_t read_offset_ = 0;    // last settled text (the window's prefix)
  std::string text_;     // settled text of every token so far
  std::string emitted_;  // a prefix of text_
  bool stopped_ = false;
};

// Bytes at the end of `s` that form an incomplete UTF-8 character (0-3),
// counting a trailing U+FFFD replacement character (3 bytes) as incomplete.
size_t IncompleteUtf8Tail(const std::string& s);

}  // namespace seek
