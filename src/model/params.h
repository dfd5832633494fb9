// model/params.h — all parameters (and their gradients) in one contiguous buffer.
//
// A ParamStore lays every parameter of a model end to end in one f32 buffer
// and keeps an offset table, so that all-reduce, sharding, clipping,
// optimizer updates and checkpoint I/O are one call over one span. Gradients
// live in a second buffer with the same layout. Offsets are 16-float (64 B)
// aligned so each tensor starts on a cache line.
//
// Seek's parameter names (HF names are a family's business, family.h):
//   embed.tokens [V, C]; embed.positions [P, C] (learned positions only)
//   layers.{i}.norm1.{weight,bias} [C]; layers.{i}.attn.qkv.{weight [(H+2KVH)D, C], bias}
//   layers.{i}.attn.out.{weight [C, H*D], bias [C]}; layers.{i}.norm2.{weight,bias}
//   layers.{i}.mlp.up.{weight [I or 2I (SwiGLU: gate rows then up rows), C], bias}
//   layers.{i}.mlp.down.{weight [C, I], bias [C]}; norm_f.{weight,bias}; lm_head.weight [V, C]
// Linear weights are [out, in]. Biases exist only when the architecture has them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/aligned.h"
#include "core/tensor.h"
#include "model/config.h"
#include "model/shard.h"

namespace seek {

enum class ParamKind { kMatrix, kEmbedding, kNormWeight, kBias };
enum class ParamInit { kNormal, kResidualNormal, kZeros, kOnes };

struct ParamInfo {
  std::string name;
  Shape shape;
  int64_t offset = 0;  // in floats, into the store's buffers
  ParamKind kind = ParamKind::kMatrix;
  ParamInit init = ParamInit::kNormal;
  int64_t numel() const { return shape.numel(); }
};

class ParamStore {
 public:
  // The parameter table a config implies (no memory yet).
  static std::vector<ParamInfo> Layout(const ModelConfig& config);
  // A rank's table under tensor and pipeline parallelism (model/shard.h):
  // the tensor-parallel rank's local shapes (model/tensor_parallel.h), then
  // the pipeline stage's tensors selected by name and laid end to end:
  // blocks [layer_begin, layer_end) under their global names, the
  // embedding on the first stage, norm_f and lm_head on the last. With tied
  // embeddings the last stage holds its own `embed.tokens` for the head
  // (Megatron): TiedDuplicates() names it, so the pipeline keeps the copies
  // equal (same init, summed gradient) and counts it once in norms.
  static std::vector<ParamInfo> Layout(const ModelConfig& config, const ModelShard& shard);
  explicit ParamStore(const ModelConfig& config);
  // The store of a rank (Layout(config, shard)).
  ParamStore(const ModelConfig& config, const ModelShard& shard);

  const ModelShard& shard() const { return shard_; }
  // The shard's layer range, resolved (layer_end -1 -> n_layer).
  int64_t layer_begin() const { return layer_begin_; }
  int64_t layer_end() const { return layer_end_; }
  bool first_stage() const { return layer_begin_ == 0; }
  bool last_stage() const { return last_stage_; }
  // Tensors this stage holds as a copy of the first stage's (the tied
  // embedding on the last of several stages; empty otherwise): gradient
  // norms count them once, on the first stage.
  const std::vector<std::string>& tied_duplicates() const { return tied_duplicates_; }
  // The same for any shard, without a store.
  static std::vector<std::string> TiedDuplicates(const ModelConfig& config, const ModelShard& shard);

  const std::vector<ParamInfo>& infos() const { return infos_; }
  const ParamInfo* Find(const std::string& name) const;  // null when absent
  int64_t size() const { return size_; }                 // floats in each buffer, incl. padding

  float* data() { return static_cast<float*>(data_.data()); }
  const float* data() const { return static_cast<const float*>(data_.data()); }
  float* grad() { return static_cast<float*>(grad_.data()); }
  const float* grad() const { return static_cast<const float*>(grad_.data()); }
  // Pointers to a named parameter and its gradient; CHECKs that it exists.
  float* Param(const std::string& name);
  const float* Param(const std::string& name) const;
  float* Grad(const std::string& name);
  int64_t num_params() const;  // real parameters, no padding

  void ZeroGrad();
  // GPT-2/Megatron initialisation from a seed (deterministic, per-tensor
  // streams keyed by the tensor's index in the whole model, so every stage
  // initialises its tensors exactly as the single process does).
  void Initialize(const ModelConfig& config, uint64_t seed);

 private:
  explicit ParamStore(std::vector<ParamInfo> infos);
  ModelShard shard_;
  int64_t layer_begin_ = 0, layer_end_ = 0;
  bool last_stage_ = true;
  std::vector<std::string> tied_duplicates_;
  std::vector<ParamInfo> infos_;
  std::map<std::string, size_t> index_;
  int64_t size_ = 0;
  AlignedBuffer data_, grad_;
};

// Model FLOPs of one training token (forward + backward) at sequence length
// T: 6 per matmul weight (the position table is a lookup, the tied embedding
// counts once, as the LM head) plus causal attention, 6 * L * T * C. Used
// for MFU, as nanoGPT/PaLM count it.
double TrainingFlopsPerToken(const ModelConfig& config, int64_t T);

}  // namespace seek
