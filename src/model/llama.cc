// model/llama.cc — the Llama family (HF LlamaForCausalLM).
//
// RoPE (rotate-half, rope_theta), RMSNorm without bias, SwiGLU MLP, grouped-
// query attention (num_key_value_heads), no biases, optional tied embeddings.
// HF keeps q/k/v and gate/up as separate tensors; Seek fuses them row-wise.
#include <fmt/format.h>

#include "model/family.h"

namespace seek {
namespace {

Status Parse(JsonFields* f, ModelConfig* c) {
  c->arch = Architecture{NormKind::kRmsNorm, PositionKind::kRope, MlpKind::kSwiGlu,
                         /*linear_bias=*/false, /*norm_bias=*/false};
  RETURN_IF_ERROR(f->Int("vocab_size", &c->vocab_size, 32000));
  RETURN_IF_ERROR(f->Int("hidden_size", &c->hidden, 4096));
  RETURN_IF_ERROR(f->Int("intermediate_size", &c->intermediate, 11008));
  RETURN_IF_ERROR(f->Int("num_hidden_layers", &c->n_layer, 32));
  RETURN_IF_ERROR(f->Int("num_attention_heads", &c->n_head, 32));
  RETURN_IF_ERROR(f->Int("num_key_value_heads", &c->n_kv_head, c->n_head));
  RETURN_IF_ERROR(f->Int("max_position_embeddings", &c->max_positions, 2048));
  RETURN_IF_ERROR(f->Double("rms_norm_eps", &c->norm_eps, 1e-6));
  RETURN_IF_ERROR(f->Double("rope_theta", &c->rope_theta, 10000.0));
  RETURN_IF_ERROR(f->Bool("tie_word_embeddings", &c->tie_embeddings, false));
  std::string act;
  RETURN_IF_ERROR(f->String("hidden_act", &act, "silu"));
  if (act != "silu")
    return UnimplementedError("{}: hidden_act '{}' is not supported for llama; use \"silu\"",
                              f->source(), act);
  bool attention_bias = false, mlp_bias = false;
  RETURN_IF_ERROR(f->Bool("attention_bias", &attention_bias, false));
  RETURN_IF_ERROR(f->Bool("mlp_bias", &mlp_bias, false));
  if (attention_bias || mlp_bias)
    return UnimplementedError("{}: llama with attention_bias or mlp_bias is not supported yet",
                              f->source());
  int64_t head_dim = 0;
  RETURN_IF_ERROR(f->Int("head_dim", &head_dim, 0));
  if (head_dim != 0 && c->n_head > 0 && head_dim * c->n_head != c->hidden)
    return UnimplementedError("{}: head_dim {} != hidden_size / num_attention_heads is not "
                              "supported yet",
                              f->source(), head_dim);
  if (f->Unused().contains("rope_scaling") && !f->Unused()["rope_scaling"].is_null())
    return UnimplementedError("{}: rope_scaling is not supported yet", f->source());
  return Status::Ok();
}

void Write(const ModelConfig& c, nlohmann::json* j) {
  (*j)["vocab_size"] = c.vocab_size;
  (*j)["hidden_size"] = c.hidden;
  (*j)["intermediate_size"] = c.intermediate;
  (*j)["num_hidden_layers"] = c.n_layer;
  (*j)["num_attention_heads"] = c.n_head;
  (*j)["num_key_value_heads"] = c.n_kv_head;
  (*j)["max_position_embeddings"] = c.max_positions;
  (*j)["rms_norm_eps"] = c.norm_eps;
  (*j)["rope_theta"] = c.rope_theta;
  (*j)["tie_word_embeddings"] = c.tie_embeddings;
  (*j)["hidden_act"] = "silu";
  (*j)["attention_bias"] = false;
  (*j)["mlp_bias"] = false;
}

std::vector<HfTensor> Tensors(const ModelConfig& c) {
  const int64_t D = c.head_dim(), q_rows = c.n_head * D, kv_rows = c.n_kv_head * D;
  std::vector<HfTensor> t = {{"model.embed_tokens.weight", "embed.tokens"}};
  for (int64_t i = 0; i < c.n_layer; ++i) {
    std::string hf = fmt::format("model.layers.{}.", i), s = fmt::format("layers.{}.", i);
    t.push_back({hf + "input_layernorm.weight", s + "norm1.weight"});
    t.push_back({hf + "self_attn.q_proj.weight", s + "attn.qkv.weight", 0, q_rows});
    t.push_back({hf + "self_attn.k_proj.weight", s + "attn.qkv.weight", q_rows, kv_rows});
    t.push_back({hf + "self_attn.v_proj.weight", s + "attn.qkv.weight", q_rows + kv_rows, kv_rows});
    t.push_back({hf + "self_attn.o_proj.weight", s + "attn.out.weight"});
    t.push_back({hf + "post_attention_layernorm.weight", s + "norm2.weight"});
    t.push_back({hf + "mlp.gate_proj.weight", s + "mlp.up.weight", 0, c.intermediate});
    t.push_back({hf + "mlp.up_proj.weight", s + "mlp.up.weight", c.intermediate, c.intermediate});
    t.push_back({hf + "mlp.down_proj.weight", s + "mlp.down.weight"});
  }
  t.push_back({"model.norm.weight", "norm_f.weight"});
  if (!c.tie_embeddings) t.push_back({"lm_head.weight", "lm_head.weight"});
  return t;
}

}  // namespace

const Family& LlamaFamily() {
  static const Family kFamily{"llama", "LlamaForCausalLM", Parse, Write, Tensors};
  return kFamily;
}

}  // namespace seek
