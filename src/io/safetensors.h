// io/safetensors.h — read and write the safetensors format (F32, F16, BF16).
//
// Format (docs/formats/safetensors.md): u64 little-endian header length N,
// N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
// "__metadata__": {str: str}}, then the data section. Offsets are relative to
// the data section, tensors are dense row-major little-endian.
//
// SafetensorsFile holds the whole file in memory (read once) and validates
// everything on open: header length within the file, JSON well formed, each
// entry's dtype known, shape non-negative, data_offsets inside the data
// section and equal to numel * dtype size, no overlapping tensors. Any
// violation is a Status naming the file and the tensor. Thread-safety: const
// methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "core/tensor.h"

namespace seek {

struct SafetensorsEntry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t offset = 0;  // from the start of the data section
  uint64_t nbytes = 0;
};

class SafetensorsFile {
 public:
  static StatusOr<SafetensorsFile> Open(const std::string& path);
  // Parses bytes already in memory; `label` names them in errors (the fuzzer uses this).
  static StatusOr<SafetensorsFile> Parse(std::string bytes, const std::string& label);

  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const SafetensorsEntry* Find(const std::string& name) const;  // null when absent
  // Raw little-endian bytes of a tensor (not necessarily aligned).
  const uint8_t* Data(const SafetensorsEntry& e) const;
  // Copies tensor `name` into dst as f32, converting from its stored dtype.
  // Errors: missing tensor; numel differs from expected_numel.
  Status ReadF32(const std::string& name, float* dst, int64_t expected_numel) const;
  const std::string& label() const { return label_; }

 private:
  std::string label_;
  std::string bytes_;
  uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

struct SafetensorsTensor {
  std::string name;
  TensorView data;  // the values as they are in memory
  DType stored;     // the dtype written to the file (converted when it differs)
};

// Writes atomically: temp file in the same directory, fsync, rename, fsync of
// the directory. Tensors are written in the order given; names must be unique.
Status WriteSafetensors(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace seek
