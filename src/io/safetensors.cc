// io/safetensors.cc — safetensors reader (validating, bounds-checked) and writer.
//
// The reader trusts nothing in the file: every length, offset and count is
// checked with overflow-safe arithmetic before any byte of the data section is
// touched, so a hostile or truncated file yields a Status, never a crash. The
// rules match the reference Rust implementation (huggingface/safetensors),
// which is stricter than "no overlaps": the tensors must cover the data
// section exactly, without holes or trailing bytes. docs/formats/safetensors.md
// lists them.
#include "io/safetensors.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "io/file_util.h"

namespace seek {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// The reference implementation refuses headers above 100 MB; so do we, so
// that a corrupt length cannot make us parse (or allocate for) garbage.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kSupportedDTypes = "F32, F16, BF16";
// Elements converted per step when the source or destination may be unaligned.
constexpr size_t kChunk = 4096;

// dtypes the safetensors format defines that Seek cannot hold (yet).
bool IsOtherSafetensorsDType(std::string_view name) {
  static constexpr std::array<std::string_view, 14> kOther = {
      "BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16", "U16",
      "I32",  "U32", "I64", "U64",     "F64",     "C64", "F8_E8M0"};
  return std::find(kOther.begin(), kOther.end(), name) != kOther.end();
}

uint64_t LoadU64Le(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// A JSON integer >= 0 ("-0" included); false for negatives, floats and non-numbers.
bool GetU64(const json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() == 0) {
    *out = 0;
    return true;
  }
  return false;
}

// A JSON value for an error message, cut short so a hostile header cannot bloat it.
std::string Snippet(const json& v) {
  std::string s = v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

void AppendU64Le(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Parses the header JSON. nlohmann keeps the last of duplicate keys silently;
// the parser callback sees every key, so duplicates (which would let two
// readers disagree about a file) are reported instead.
Status ParseHeaderJson(std::string_view text, const std::string& label, json* out) {
  // nlohmann stops at a NUL as if the input ended there, which would accept
  // "{}\0<anything>"; no valid JSON text contains a NUL byte.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return DataLossError("{}: header is not valid JSON: NUL byte at header offset {}", label, nul);
  }
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  bool has_duplicate = false;
  json::parser_callback_t cb = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get<std::string>()).second && !has_duplicate) {
          has_duplicate = true;
          duplicate = parsed.get<std::string>();
        }
        break;
      default: break;
    }
    return true;
  };
  try {
    *out = json::parse(text.begin(), text.end(), cb);  // the exception says where it broke
  } catch (const json::exception& e) {
    return DataLossError("{}: header is not valid JSON: {}", label, e.what());
  }
  if (out->is_discarded()) {
    return DataLossError("{}: header ({} bytes) is not valid JSON", label, text.size());
  }
  if (has_duplicate) {
    return DataLossError("{}: header has the key '{}' twice; names must be unique", label,
                         duplicate);
  }
  if (!out->is_object()) {
    return DataLossError("{}: header is a JSON {}, expected an object of tensors", label,
                         out->type_name());
  }
  return Status::Ok();
}

Status ParseMetadata(const json& v, const std::string& label,
                     std::map<std::string, std::string>* metadata) {
  if (!v.is_object()) {
    return DataLossError("{}: '__metadata__' is a JSON {}, expected an object of strings", label,
                         v.type_name());
  }
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string()) {
      return DataLossError("{}: '__metadata__' value of '{}' is a JSON {}, expected a string",
                           label, key, value.type_name());
    }
    (*metadata)[key] = value.get<std::string>();
  }
  return Status::Ok();
}

// Validates one header entry against a data section of data_size bytes.
Status ParseEntry(const std::string& label, const std::string& name, const json& v,
                  uint64_t data_size, SafetensorsEntry* e) {
  const std::string where = fmt::format("{}: tensor '{}'", label, name);
  if (!v.is_object()) {
    return DataLossError(
        "{}: entry is a JSON {}, expected an object with dtype, shape, "
        "data_offsets",
        where, v.type_name());
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!v.contains(field)) return DataLossError("{}: missing field '{}'", where, field);
  }
  const json& dt = v["dtype"];
  if (!dt.is_string()) {
    return DataLossError("{}: field 'dtype' is a JSON {}, expected a string such as \"F32\"", where,
                         dt.type_name());
  }
  const std::string dtype_name = dt.get<std::string>();
  if (!ParseDType(dtype_name, &e->dtype)) {
    if (IsOtherSafetensorsDType(dtype_name)) {
      return UnimplementedError("{}: dtype '{}' is not supported; Seek reads {}", where, dtype_name,
                                kSupportedDTypes);
    }
    return DataLossError("{}: unknown dtype '{}'; supported dtypes are {}", where, dtype_name,
                         kSupportedDTypes);
  }

  const json& sh = v["shape"];
  if (!sh.is_array()) {
    return DataLossError("{}: field 'shape' is a JSON {}, expected an array of integers", where,
                         sh.type_name());
  }
  if (sh.size() > static_cast<size_t>(Shape::kMaxDims)) {
    return UnimplementedError("{}: shape has {} dims; Seek supports at most {}", where, sh.size(),
                              Shape::kMaxDims);
  }
  std::vector<int64_t> dims;
  int64_t numel = 1;  // the running product, in Shape::numel's order, must never overflow
  for (size_t i = 0; i < sh.size(); ++i) {
    const json& d = sh[i];
    uint64_t u = 0;
    if (GetU64(d, &u)) {
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return DataLossError("{}: shape[{}] = {} is too large", where, i, u);
      }
      dims.push_back(static_cast<int64_t>(u));
    } else if (d.is_number_integer()) {
      return DataLossError("{}: shape[{}] = {} is negative; dims must be >= 0", where, i,
                           d.get<int64_t>());
    } else {
      return DataLossError("{}: shape[{}] is {} (a JSON {}), expected a non-negative integer",
                           where, i, Snippet(d), d.type_name());
    }
    if (__builtin_mul_overflow(numel, dims.back(), &numel)) {
      return DataLossError("{}: shape {} has more elements than fit in 64 bits", where,
                           Snippet(sh));
    }
  }
  e->shape = Shape(dims);
  uint64_t want_bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(numel), DTypeSize(e->dtype), &want_bytes)) {
    return DataLossError("{}: shape {} of dtype {} needs more bytes than fit in 64 bits", where,
                         e->shape.ToString(), dtype_name);
  }

  const json& off = v["data_offsets"];
  uint64_t begin = 0;
  uint64_t end = 0;
  if (!off.is_array() || off.size() != 2 || !GetU64(off[0], &begin) || !GetU64(off[1], &end)) {
    return DataLossError(
        "{}: field 'data_offsets' is {}, expected [begin, end] with integers "
        ">= 0",
        where, Snippet(off));
  }
  if (begin > end) {
    return DataLossError("{}: data_offsets [{}, {}] has begin > end", where, begin, end);
  }
  if (end > data_size) {
    return DataLossError(
        "{}: data_offsets [{}, {}] run past the data section ({} bytes); "
        "the file is truncated or the header is corrupt",
        where, begin, end, data_size);
  }
  if (end - begin != want_bytes) {
    return DataLossError("{}: data_offsets [{}, {}] hold {} bytes but dtype {} shape {} needs {}",
                         where, begin, end, end - begin, dtype_name, e->shape.ToString(),
                         want_bytes);
  }
  e->name = name;
  e->offset = begin;
  e->nbytes = want_bytes;
  return Status::Ok();
}

// The tensors, in data order, must tile [0, data_size) exactly.
Status CheckCoverage(const std::string& label, const std::vector<SafetensorsEntry>& sorted,
                     uint64_t data_size) {
  uint64_t cursor = 0;
  const SafetensorsEntry* prev = nullptr;
  for (const SafetensorsEntry& e : sorted) {
    if (e.offset < cursor) {
      return DataLossError("{}: tensor '{}' bytes [{}, {}) overlap tensor '{}' bytes [{}, {})",
                           label, e.name, e.offset, e.offset + e.nbytes, prev->name, prev->offset,
                           prev->offset + prev->nbytes);
    }
    if (e.offset > cursor) {
      return DataLossError(
          "{}: data section bytes [{}, {}) before tensor '{}' belong to no "
          "tensor; safetensors files have no holes",
          label, cursor, e.offset, e.name);
    }
    cursor = e.offset + e.nbytes;
    prev = &e;
  }
  if (cursor != data_size) {
    return DataLossError(
        "{}: data section has {} bytes but the tensors cover only {}; the "
        "header length or offsets are corrupt",
        label, data_size, cursor);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return Parse(std::move(bytes), path);
}

StatusOr<SafetensorsFile> SafetensorsFile::Parse(std::string bytes, const std::string& label) {
  SafetensorsFile f;
  f.label_ = label;
  f.bytes_ = std::move(bytes);
  const uint64_t size = f.bytes_.size();
  if (size < 8) {
    return DataLossError(
        "{}: file has {} bytes; a safetensors file starts with an 8-byte "
        "header length",
        label, size);
  }
  const uint64_t header_len = LoadU64Le(f.bytes_.data());
  if (header_len > kMaxHeaderBytes) {
    return DataLossError(
        "{}: header length {} is larger than the {} byte limit; not a "
        "safetensors file or corrupt",
        label, header_len, kMaxHeaderBytes);
  }
  if (header_len > size - 8) {
    return DataLossError(
        "{}: header length {} runs past the end of the file ({} bytes); "
        "the file is truncated",
        label, header_len, size);
  }
  f.data_start_ = 8 + header_len;
  const uint64_t data_size = size - f.data_start_;

  json header;
  RETURN_IF_ERROR(
      ParseHeaderJson(std::string_view(f.bytes_).substr(8, header_len), label, &header));
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      RETURN_IF_ERROR(ParseMetadata(value, label, &f.metadata_));
      continue;
    }
    SafetensorsEntry e;
    RETURN_IF_ERROR(ParseEntry(label, name, value, data_size, &e));
    f.entries_.push_back(std::move(e));
  }
  // entries() is in data-section order (for files Seek writes: the order given to the writer).
  std::sort(f.entries_.begin(), f.entries_.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              if (a.offset != b.offset) return a.offset < b.offset;
              if (a.nbytes != b.nbytes) return a.nbytes < b.nbytes;
              return a.name < b.name;
            });
  RETURN_IF_ERROR(CheckCoverage(label, f.entries_, data_size));
  for (size_t i = 0; i < f.entries_.size(); ++i) f.index_[f.entries_[i].name] = i;
  return f;
}

const SafetensorsEntry* SafetensorsFile::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

const uint8_t* SafetensorsFile::Data(const SafetensorsEntry& e) const {
  return reinterpret_cast<const uint8_t*>(bytes_.data()) + data_start_ + e.offset;
}

Status SafetensorsFile::ReadF32(const std::string& name, float* dst, int64_t expected_numel) const {
  const SafetensorsEntry* e = Find(name);
  if (e == nullptr) {
    return NotFoundError("{}: no tensor named '{}' (the file has {} tensors)", label_, name,
                         entries_.size());
  }
  const int64_t numel = e->shape.numel();
  if (numel != expected_numel) {
    return InvalidArgumentError("{}: tensor '{}' has shape {} ({} elements) but {} were expected",
                                label_, name, e->shape.ToString(), numel, expected_numel);
  }
  if (numel == 0) return Status::Ok();
  const uint8_t* src = Data(*e);
  if (e->dtype == DType::kF32) {
    std::memcpy(dst, src, e->nbytes);
    return Status::Ok();
  }
  // The source sits at any byte offset in the file; copy into aligned storage before
  // ConvertDType reads it as uint16_t.
  std::array<uint16_t, kChunk> buf;
  const size_t n = static_cast<size_t>(numel);
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t len = std::min(kChunk, n - i);
    std::memcpy(buf.data(), src + i * 2, len * 2);
    ConvertDType(buf.data(), e->dtype, dst + i, DType::kF32, len);
  }
  return Status::Ok();
}

namespace {

bool ValidDType(DType t) {
  return t == DType::kF32 || t == DType::kBF16 || t == DType::kF16;
}

// Appends the view's values converted to `stored`, chunk by chunk through aligned
// buffers (neither the view's memory nor the output position need be aligned).
void AppendConverted(const TensorView& v, DType stored, std::string* out) {
  const size_t n = static_cast<size_t>(v.numel());
  const size_t in_size = DTypeSize(v.dtype());
  const size_t out_size = DTypeSize(stored);
  const char* src = static_cast<const char*>(v.data());
  std::array<float, kChunk> in;  // raw bytes of up to kChunk source elements
  std::array<float, kChunk> conv;
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t len = std::min(kChunk, n - i);
    std::memcpy(in.data(), src + i * in_size, len * in_size);
    ConvertDType(in.data(), v.dtype(), conv.data(), stored, len);
    out->append(reinterpret_cast<const char*>(conv.data()), len * out_size);
  }
}

}  // namespace

Status WriteSafetensors(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  ordered_json header = ordered_json::object();
  if (!metadata.empty()) {
    ordered_json meta = ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const SafetensorsTensor& t : tensors) {
    if (t.name == "__metadata__") {
      return InvalidArgumentError("{}: '__metadata__' is reserved and cannot name a tensor", path);
    }
    if (!seen.insert(t.name).second) {
      return InvalidArgumentError("{}: tensor name '{}' is given twice; names must be unique", path,
                                  t.name);
    }
    if (!ValidDType(t.stored) || !ValidDType(t.data.dtype())) {
      return InvalidArgumentError("{}: tensor '{}': dtype code {} -> {} is not one of {}", path,
                                  t.name, static_cast<int>(t.data.dtype()),
                                  static_cast<int>(t.stored), kSupportedDTypes);
    }
    const Shape& shape = t.data.shape();
    int64_t numel = 1;
    uint64_t nbytes = 0;
    for (int i = 0; i < shape.ndim(); ++i) {
      if (shape[i] < 0 || __builtin_mul_overflow(numel, shape[i], &numel)) {
        return InvalidArgumentError("{}: tensor '{}': shape {} is not a valid shape", path, t.name,
                                    shape.ToString());
      }
    }
    if (__builtin_mul_overflow(static_cast<uint64_t>(numel), DTypeSize(t.stored), &nbytes) ||
        __builtin_add_overflow(offset, nbytes, &nbytes)) {
      return InvalidArgumentError("{}: tensor '{}': shape {} is too large to write", path, t.name,
                                  shape.ToString());
    }
    if (numel > 0 && t.data.data() == nullptr) {
      return InvalidArgumentError("{}: tensor '{}': shape {} but no data", path, t.name,
                                  shape.ToString());
    }
    ordered_json entry = ordered_json::object();
    entry["dtype"] = std::string(DTypeName(t.stored));
    entry["shape"] = shape.dims();
    entry["data_offsets"] = {offset, nbytes};  // nbytes now holds the end offset
    header[t.name] = std::move(entry);
    offset = nbytes;
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const ordered_json::exception& e) {  // names or metadata that are not UTF-8
    return InvalidArgumentError("{}: tensor names and metadata must be valid UTF-8: {}", path,
                                e.what());
  }
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + header_text.size() + offset);
  AppendU64Le(&out, header_text.size());
  out += header_text;
  for (const SafetensorsTensor& t : tensors) {
    if (t.data.numel() == 0) continue;
    if (t.data.dtype() == t.stored) {
      out.append(static_cast<const char*>(t.data.data()), t.data.nbytes());
    } else {
      AppendConverted(t.data, t.stored, &out);
    }
  }
  CHECK(out.size() == 8 + header_text.size() + offset);
  return WriteFileAtomic(path, out);
}

}  // namespace seek
