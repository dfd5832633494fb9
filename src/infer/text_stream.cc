#include "infer/text_stream.h"

#include <algorithm>

namespace seek {

size_t IncompleteUtf8Tail(const std::string& s) {
  const size_t n = s.size();
  if (n >= 3 && s.compare(n - 3, 3, "\xEF\xBF\xBD") == 0) return 3;
  // Look back at most 3 bytes for the lead byte of the last character.
  for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
    const unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                                                             : (c & 0xF8) == 0xF0 ? 4 : 1;
    return len > back ? back : 0;
  }
  return 0;
}

TextStream::TextStream(DecodeFn decode, std::vector<std::string> stop)
    : decode_(std::move(decode)), stop_(std::move(stop)) {}

std::string TextStream::Emit(size_t end) {
  if (end <= emitted_.size()) return "";
  std::string piece = text_.substr(emitted_.size(), end - emitted_.size());
  emitted_ += piece;
  return piece;
}

std::string TextStream::DecodeRange(size_t begin, size_t end) const {
  return decode_(std::vector<int32_t>(tokens_.begin() + begin, tokens_.begin() + end));
}

std::string TextStream::Push(int32_t token, bool* stopped) {
  *stopped = stopped_;
  if (stopped_) return "";
  tokens_.push_back(token);
  const std::string prefix = DecodeRange(prefix_offset_, read_offset_);
  const std::string window = DecodeRange(prefix_offset_, tokens_.size());
  if (window.size() > prefix.size() && IncompleteUtf8Tail(window) == 0) {
    text_ += window.substr(prefix.size());
    prefix_offset_ = read_offset_;
    read_offset_ = tokens_.size();
  }
  // The earliest stop string match, searched from where a new match can start.
  size_t max_stop = 0;
  for (const std::string& s : stop_) max_stop = std::max(max_stop, s.size());
  const size_t from = emitted_.size() > max_stop ? emitted_.size() - max_stop : 0;
  size_t hit = std::string::npos;
  for (const std::string& s : stop_) hit = std::min(hit, text_.find(s, from));
  if (hit != std::string::npos) {
    stopped_ = *stopped = true;
    return Emit(std::max(hit, emitted_.size()));
  }
  // Hold back the longest tail that is a prefix of a stop string.
  size_t hold = 0;
  for (const std::string& s : stop_) {
    for (size_t len = std::min(s.size() - 1, text_.size()); len > hold; --len) {
      if (text_.compare(text_.size() - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  size_t end = text_.size() - hold;
  // Never end a piece inside a character.
  end -= IncompleteUtf8Tail(text_.substr(0, end));
  return Emit(end);
}

std::string TextStream::Flush() {
  if (stopped_) return "";
  if (read_offset_ < tokens_.size()) {
    // Unsettled tokens (a character cut at the end): take their text as it is.
    const std::string prefix = DecodeRange(prefix_offset_, read_offset_);
    const std::string window = DecodeRange(prefix_offset_, tokens_.size());
    if (window.size() > prefix.size()) text_ += window.substr(prefix.size());
    prefix_offset_ = read_offset_ = tokens_.size();
  }
  // A stop string may end inside the unsettled tail.
  size_t hit = std::string::npos;
  const size_t from = emitted_.size() > 256 ? emitted_.size() - 256 : 0;
  for (const std::string& s : stop_) hit = std::min(hit, text_.find(s, from));
  if (hit != std::string::npos) {
    stopped_ = true;
    return Emit(std::max(hit, emitted_.size()));
  }
  return Emit(text_.size());
}

}  // namespace seek
