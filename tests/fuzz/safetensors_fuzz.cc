// tests/fuzz/safetensors_fuzz.cc — libFuzzer target for the safetensors reader.
//
// Parses arbitrary bytes; when they parse, reads every tensor as f32 and checks
// the invariants the reader promises (entries inside the data section, in data
// order, findable by name). Built with ASan/UBSan, so any out-of-bounds read or
// undefined behaviour on hostile input is a crash the fuzzer reports.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/check.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seek::StatusOr<seek::SafetensorsFile> f =
      seek::SafetensorsFile::Parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!f.ok()) {
    CHECK(f.status().message().find("fuzz") != std::string::npos);
    return 0;
  }
  uint64_t end = 0;
  for (const seek::SafetensorsEntry& e : f->entries()) {
    CHECK(e.offset == end);  // contiguous, in data order
    end = e.offset + e.nbytes;
    CHECK(end <= size);
    CHECK(f->Find(e.name) == &e);
    CHECK(static_cast<uint64_t>(e.shape.numel()) * seek::DTypeSize(e.dtype) == e.nbytes);
    std::vector<float> out(static_cast<size_t>(e.shape.numel()));
    CHECK_OK(f->ReadF32(e.name, out.data(), e.shape.numel()));
  }
  CHECK(!f->ReadF32("\xff no such tensor", nullptr, 0).ok());
  return 0;
}
