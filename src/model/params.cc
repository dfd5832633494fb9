#include "model/params.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "core/random.h"
#include "model/tensor_parallel.h"

namespace seek {

namespace {

int64_t Padded(int64_t n) { return (n + 15) / 16 * 16; }

void AssignOffsets(std::vector<ParamInfo>& infos) {
  int64_t offset = 0;
  for (ParamInfo& p : infos) {
    p.offset = offset;
    offset += Padded(p.numel());
  }
}

// The block index of "layers.{i}.*", else -1.
int64_t LayerOf(const std::string& name) {
  constexpr std::string_view kPrefix = "layers.";
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return -1;
  int64_t layer = -1;
  std::from_chars(name.data() + kPrefix.size(), name.data() + name.size(), layer);
  return layer;
}

// The tensors of a whole layout (`all`) that a pipeline stage holds, laid
// end to end. By name, so it applies to any layout with the whole model's
// names (a tensor-parallel rank's too).
std::vector<ParamInfo> KeepStage(const std::vector<ParamInfo>& all, const ModelConfig& c,
                                 const ModelShard& shard) {
  const int64_t begin = shard.layer_begin, end = shard.layer_end < 0 ? c.n_layer : shard.layer_end;
  const bool first = begin == 0, last = end == c.n_layer;
  std::vector<ParamInfo> out;
  for (const ParamInfo& p : all) {
    const int64_t layer = LayerOf(p.name);
    const bool keep = layer >= 0                     ? layer >= begin && layer < end
                      : p.name == "embed.tokens"     ? first || (last && c.tie_embeddings)
                      : p.name.starts_with("embed.") ? first
                                                     : last;  // norm_f, lm_head
    if (keep) out.push_back(p);
  }
  AssignOffsets(out);
  return out;
}

}  // namespace

std::vector<ParamInfo> ParamStore::Layout(const ModelConfig& c, const ModelShard& shard) {
  return shard.whole() ? Layout(c) : KeepStage(TpLayout(c, shard), c, shard);
}

std::vector<ParamInfo> ParamStore::Layout(const ModelConfig& c) {
  std::vector<ParamInfo> out;
  auto add = [&](std::string name, Shape shape, ParamKind kind, ParamInit init) {
    out.push_back(ParamInfo{std::move(name), shape, 0, kind, init});
  };
  const int64_t C = c.hidden, D = c.head_dim();
  const bool bias = c.arch.linear_bias;
  const int64_t up_rows = c.arch.mlp == MlpKind::kSwiGlu ? 2 * c.intermediate : c.intermediate;
  auto add_norm = [&](const std::string& prefix) {
    add(prefix + ".weight", {C}, ParamKind::kNormWeight, ParamInit::kOnes);
    if (c.arch.norm_bias) add(prefix + ".bias", {C}, ParamKind::kBias, ParamInit::kZeros);
  };
  add("embed.tokens", {c.vocab_size, C}, ParamKind::kEmbedding, ParamInit::kNormal);
  if (c.arch.position == PositionKind::kLearned)
    add("embed.positions", {c.max_positions, C}, ParamKind::kEmbedding, ParamInit::kNormal);
  for (int64_t i = 0; i < c.n_layer; ++i) {
    std::string p = fmt::format("layers.{}.", i);
    add_norm(p + "norm1");
    add(p + "attn.qkv.weight", {c.qkv_dim(), C}, ParamKind::kMatrix, ParamInit::kNormal);
    if (bias) add(p + "attn.qkv.bias", {c.qkv_dim()}, ParamKind::kBias, ParamInit::kZeros);
    add(p + "attn.out.weight", {C, c.n_head * D}, ParamKind::kMatrix, ParamInit::kResidualNormal);
    if (bias) add(p + "attn.out.bias", {C}, ParamKind::kBias, ParamInit::kZeros);
    add_norm(p + "norm2");
    add(p + "mlp.up.weight", {up_rows, C}, ParamKind::kMatrix, ParamInit::kNormal);
    if (bias) add(p + "mlp.up.bias", {up_rows}, ParamKind::kBias, ParamInit::kZeros);
    add(p + "mlp.down.weight", {C, c.intermediate}, ParamKind::kMatrix,
        ParamInit::kResidualNormal);
    if (bias) add(p + "mlp.down.bias", {C}, ParamKind::kBias, ParamInit::kZeros);
  }
  add_norm("norm_f");
  if (!c.tie_embeddings)
    add("lm_head.weight", {c.vocab_size, C}, ParamKind::kMatrix, ParamInit::kNormal);
  AssignOffsets(out);
  return out;
}

ParamStore::ParamStore(const ModelConfig& config) : ParamStore(config, ModelShard{}) {}

ParamStore::ParamStore(const ModelConfig& config, const ModelShard& shard)
    : ParamStore(Layout(config, shard)) {
  shard_ = shard;
  layer_begin_ = shard.layer_begin;
  layer_end_ = shard.layer_end < 0 ? config.n_layer : shard.layer_end;
  last_stage_ = layer_end_ == config.n_layer;
  tied_duplicates_ = TiedDuplicates(config, shard);
}

ParamStore::ParamStore(std::vector<ParamInfo> infos) : infos_(std::move(infos)) {
  for (size_t i = 0; i < infos_.size(); ++i) index_[infos_[i].name] = i;
  size_ = infos_.empty() ? 0 : infos_.back().offset + (infos_.back().numel() + 15) / 16 * 16;
  data_ = AlignedBuffer(static_cast<size_t>(size_) * sizeof(float));
  grad_ = AlignedBuffer(static_cast<size_t>(size_) * sizeof(float));
}

std::vector<std::string> ParamStore::TiedDuplicates(const ModelConfig& config,
                                                    const ModelShard& shard) {
  const int64_t end = shard.layer_end < 0 ? config.n_layer : shard.layer_end;
  if (config.tie_embeddings && shard.layer_begin > 0 && end == config.n_layer)
    return {"embed.tokens"};
  return {};
}

const ParamInfo* ParamStore::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &infos_[it->second];
}

float* ParamStore::Param(const std::string& name) {
  const ParamInfo* p = Find(name);
  CHECK_MSG(p != nullptr, name.c_str());
  return data() + p->offset;
}
const float* ParamStore::Param(const std::string& name) const {
  const ParamInfo* p = Find(name);
  CHECK_MSG(p != nullptr, name.c_str());
  return data() + p->offset;
}
float* ParamStore::Grad(const std::string& name) {
  const ParamInfo* p = Find(name);
  CHECK_MSG(p != nullptr, name.c_str());
  return grad() + p->offset;
}

int64_t ParamStore::num_params() const {
  int64_t n = 0;
  for (const ParamInfo& p : infos_) n += p.numel();
  return n;
}

void ParamStore::ZeroGrad() { std::memset(grad_.data(), 0, grad_.size()); }

void ParamStore::Initialize(const ModelConfig& config, uint64_t seed) {
  const double residual_std = config.init_std / std::sqrt(2.0 * config.n_layer);
  std::map<std::string, size_t> global_index;  // a stage's tensors draw the whole model's streams
  if (!shard_.whole()) {
    const std::vector<ParamInfo> whole = Layout(config);
    for (size_t i = 0; i < whole.size(); ++i) global_index[whole[i].name] = i;
  }
  for (size_t i = 0; i < infos_.size(); ++i) {
    const ParamInfo& p = infos_[i];
    float* w = data() + p.offset;
    const size_t stream = shard_.whole() ? i : global_index.at(p.name);
    Rng rng(seed * 1000003ull + stream);  // one stream per tensor: adding a tensor moves no other
    switch (p.init) {
      case ParamInit::kZeros: std::fill(w, w + p.numel(), 0.f); break;
      case ParamInit::kOnes: std::fill(w, w + p.numel(), 1.f); break;
      case ParamInit::kNormal:
      case ParamInit::kResidualNormal: {
        float std = static_cast<float>(p.init == ParamInit::kNormal ? config.init_std : residual_std);
        for (int64_t k = 0; k < p.numel(); ++k) w[k] = rng.Normal() * std;
        break;
      }
    }
  }
}

double TrainingFlopsPerToken(const ModelConfig& c, int64_t T) {
  double matmul = 0;
  for (const ParamInfo& p : ParamStore::Layout(c))
    if (p.shape.ndim() == 2 && p.name != "embed.positions" &&
        (p.name != "embed.tokens" || c.tie_embeddings))
      matmul += static_cast<double>(p.numel());
  return 6.0 * matmul + 6.0 * static_cast<double>(c.n_layer) * static_cast<double>(T) * c.hidden;
}

}  // namespace seek
