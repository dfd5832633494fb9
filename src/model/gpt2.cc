// model/gpt2.cc — the GPT-2 family (HF GPT2LMHeadModel).
//
// Learned positions, LayerNorm with bias, GELU (tanh) MLP of width n_inner,
// biases on every projection, tied embeddings. HF stores GPT-2's projections
// as Conv1D weights [in, out]: the transpose of Seek's [out, in].
#include <fmt/format.h>

#include "model/family.h"

namespace seek {
namespace {

Status Parse(JsonFields* f, ModelConfig* c) {
  c->arch = Architecture{NormKind::kLayerNorm, PositionKind::kLearned, MlpKind::kGelu,
                         /*linear_bias=*/true, /*norm_bias=*/true};
  RETURN_IF_ERROR(f->Int("vocab_size", &c->vocab_size, 50257));
  RETURN_IF_ERROR(f->Int("n_positions", &c->max_positions, 1024));
  f->Consume("n_ctx");
  RETURN_IF_ERROR(f->Int("n_embd", &c->hidden, 768));
  RETURN_IF_ERROR(f->Int("n_layer", &c->n_layer, 12));
  RETURN_IF_ERROR(f->Int("n_head", &c->n_head, 12));
  c->n_kv_head = c->n_head;
  int64_t inner = 0;
  RETURN_IF_ERROR(f->Int("n_inner", &inner, 0));
  c->intermediate = inner == 0 ? 4 * c->hidden : inner;
  RETURN_IF_ERROR(f->Double("layer_norm_epsilon", &c->norm_eps, 1e-5));
  RETURN_IF_ERROR(f->Bool("tie_word_embeddings", &c->tie_embeddings, true));
  std::string act;
  RETURN_IF_ERROR(f->String("activation_function", &act, "gelu_new"));
  if (act != "gelu_new" && act != "gelu_pytorch_tanh")
    return UnimplementedError("{}: activation_function '{}' is not supported for gpt2; use "
                              "\"gelu_new\" (GELU, tanh approximation)",
                              f->source(), act);
  return Status::Ok();
}

void Write(const ModelConfig& c, nlohmann::json* j) {
  (*j)["vocab_size"] = c.vocab_size;
  (*j)["n_positions"] = c.max_positions;
  (*j)["n_embd"] = c.hidden;
  (*j)["n_layer"] = c.n_layer;
  (*j)["n_head"] = c.n_head;
  (*j)["n_inner"] = c.intermediate;
  (*j)["layer_norm_epsilon"] = c.norm_eps;
  (*j)["activation_function"] = "gelu_new";
  (*j)["tie_word_embeddings"] = c.tie_embeddings;
}

std::vector<HfTensor> Tensors(const ModelConfig& c) {
  std::vector<HfTensor> t = {
      {"transformer.wte.weight", "embed.tokens"},
      {"transformer.wpe.weight", "embed.positions"},
  };
  for (int64_t i = 0; i < c.n_layer; ++i) {
    std::string hf = fmt::format("transformer.h.{}.", i), s = fmt::format("layers.{}.", i);
    auto add = [&](const char* h, const char* p, bool transposed) {
      t.push_back({hf + h, s + p, 0, -1, transposed});
    };
    add("ln_1.weight", "norm1.weight", false);
    add("ln_1.bias", "norm1.bias", false);
    add("attn.c_attn.weight", "attn.qkv.weight", true);
    add("attn.c_attn.bias", "attn.qkv.bias", false);
    add("attn.c_proj.weight", "attn.out.weight", true);
    add("attn.c_proj.bias", "attn.out.bias", false);
    add("ln_2.weight", "norm2.weight", false);
    add("ln_2.bias", "norm2.bias", false);
    add("mlp.c_fc.weight", "mlp.up.weight", true);
    add("mlp.c_fc.bias", "mlp.up.bias", false);
    add("mlp.c_proj.weight", "mlp.down.weight", true);
    add("mlp.c_proj.bias", "mlp.down.bias", false);
  }
  t.push_back({"transformer.ln_f.weight", "norm_f.weight"});
  t.push_back({"transformer.ln_f.bias", "norm_f.bias"});
  if (!c.tie_embeddings) t.push_back({"lm_head.weight", "lm_head.weight"});
  return t;
}

}  // namespace

const Family& Gpt2Family() {
  static const Family kFamily{"gpt2", "GPT2LMHeadModel", Parse, Write, Tensors};
  return kFamily;
}

}  // namespace seek
