#include "data/pipeline_state.h"

#include <filesystem>

#include <fmt/format.h>
#include <xxhash.h>

#include "io/comm.h"
#include "io/file_util.h"

namespace seek {
namespace {

constexpr std::string_view kMagic = "seek-data-state-1";

}  // namespace

std::string PipelineStateKey(const PipelineConfig& c, const std::string& fingerprint, int completed, int ranks) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const InputConfig& in : c.inputs)
    inputs.push_back({in.source, in.path, in.format, in.separator, in.split_blank_lines, in.text_field,
                      in.id_field, in.exclude, in.strict});
  nlohmann::json stages = nlohmann::json::array();
  for (int i = 0; i < completed; ++i) stages.push_back(c.stages[i]);
  const std::string all = fmt::format("{}\n{}\n{}\n{}\n{}\n{}", inputs.dump(), stages.dump(), ranks,
                                      c.keep_rejects, completed, fingerprint);
  const XXH128_hash_t h = XXH3_128bits(all.data(), all.size());
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

std::string PipelineStatePath(const std::string& output, int rank, int ranks) {
  return fmt::format("{}/.resume/rank-{}-of-{}.bin", output, rank, ranks);
}

Status SavePipelineState(const std::string& path, const std::string& key, const PipelineState& s) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return IoError("cannot create the folder of {}: {}", path, ec.message());
  ByteWriter w;
  w.Str(kMagic);
  w.Str(key);
  w.I64(s.completed);
  w.Str(s.manifest.dump());
  w.U64(s.rejects.size());
  for (const std::string& r : s.rejects) w.Str(r);
  w.U64(s.docs.size());
  for (const Document& d : s.docs) {
    w.Str(d.text);
    w.Str(d.source);
    w.Str(d.id);
    w.Str(d.language);
    w.U64(d.metadata.size());
    for (const auto& [k, v] : d.metadata) w.Str(k), w.F64(v);
  }
  return WriteFileAtomic(path, w.bytes());
}

StatusOr<PipelineState> LoadPipelineState(const std::string& path,
                                          const std::function<std::string(int completed)>& key_for) {
  if (!std::filesystem::exists(path)) return NotFoundError("no saved state at {}", path);
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return ParsePipelineState(bytes, path, key_for);
}

StatusOr<PipelineState> ParsePipelineState(std::string_view bytes, const std::string& path,
                                           const std::function<std::string(int completed)>& key_for) {
  ByteReader in(bytes);
  if (in.Str() != kMagic) return DataLossError("{} is not a saved pipeline state", path);
  const std::string key = in.Str();
  PipelineState s;
  s.completed = static_cast<int>(in.I64());
  if (!in.ok() || s.completed < 1 || s.completed > 100000 || key != key_for(s.completed))
    return NotFoundError("{} was saved by another configuration or other inputs", path);
  s.manifest = nlohmann::ordered_json::parse(in.Str(), nullptr, /*allow_exceptions=*/false);
  const uint64_t n_rejects = in.U64();
  for (uint64_t i = 0; i < n_rejects && in.ok(); ++i) s.rejects.push_back(in.Str());
  const uint64_t n_docs = in.U64();
  for (uint64_t i = 0; i < n_docs && in.ok(); ++i) {
    Document d;
    d.text = in.Str();
    d.source = in.Str();
    d.id = in.Str();
    d.language = in.Str();
    const uint64_t n_meta = in.U64();
    for (uint64_t k = 0; k < n_meta && in.ok(); ++k) {
      std::string name = in.Str();
      d.metadata[name] = in.F64();
    }
    s.docs.push_back(std::move(d));
  }
  if (!in.ok() || !in.done() || s.manifest.is_discarded())
    return DataLossError("{} is truncated or damaged; delete it to start over", path);
  return s;
}

}  // namespace seek
