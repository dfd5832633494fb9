"""Plain-PyTorch oracle models for the GPT-2 and Llama families.

These mirror Hugging Face transformers' GPT2LMHeadModel and LlamaForCausalLM
(eager attention, f32) operation for operation, but take packed documents:

  forward(input_ids [B,T] int64, doc_ids [B,T] int or None, targets [B,T] int64
          or None) -> (logits [B,T,V], loss [] or None)

* A document is a maximal run of equal doc_ids in a row (so [0,0,1,1,0] is
  three documents). Query t attends key s iff s <= t and s lies in t's run.
* Positions reset at each document start: pos(t) = t - start_of_run(t), for
  GPT-2's learned wpe and Llama's RoPE alike, so a packed document computes
  exactly what it would compute alone.
* Loss is the cross-entropy mean over positions whose target != -1.

Parameter names (named_parameters / state_dict) are the HF tensor names. When
embeddings are tied there is no lm_head parameter: the output projection reads
the input embedding, and its gradient holds both uses.

The models run in the dtype of their parameters (model.to(torch.float64) gives
the tighter float64 oracle). Softmax, RMSNorm variance and the loss are taken
in max(f32, dtype). RoPE cos/sin tables are computed in f32 exactly as HF does
and then cast to the model dtype.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE_INDEX = -1

ARCHITECTURES = {"gpt2": "GPT2LMHeadModel", "llama": "LlamaForCausalLM"}


def _acc_dtype(dtype):
    return torch.promote_types(dtype, torch.float32)


def model_family(config):
    """'gpt2' or 'llama' from an HF config dict (model_type, else architectures)."""
    mt = config.get("model_type")
    if mt in ARCHITECTURES:
        return mt
    for fam, arch in ARCHITECTURES.items():
        if arch in (config.get("architectures") or []):
            return fam
    raise ValueError(
        f"config: model_type={mt!r} architectures={config.get('architectures')!r}; "
        f"expected model_type in {sorted(ARCHITECTURES)}")


# ----------------------------------------------------------------------------
# Document packing


def doc_layout(doc_ids):
    """doc_ids [B,T] -> (positions [B,T] int64, mask [B,T(query),T(key)] bool).

    positions: offset of each token inside its document run.
    mask[b,t,s]: s <= t and s in the same run as t.
    """
    B, T = doc_ids.shape
    starts = torch.ones(B, T, dtype=torch.bool, device=doc_ids.device)
    starts[:, 1:] = doc_ids[:, 1:] != doc_ids[:, :-1]
    run = torch.cumsum(starts.long(), dim=1)  # [B,T] run index within the row
    t = torch.arange(T, device=doc_ids.device).expand(B, T)
    start_idx = torch.cummax(torch.where(starts, t, torch.zeros_like(t)), dim=1).values
    positions = t - start_idx
    idx = torch.arange(T, device=doc_ids.device)
    causal = idx[None, :] <= idx[:, None]  # [T(q),T(k)]
    mask = (run[:, :, None] == run[:, None, :]) & causal[None]
    return positions, mask


def masked_attention(q, k, v, mask, scale):
    """Explicit masked-softmax attention.

    q [B,H,T,D], k/v [B,Hkv,T,D] (H % Hkv == 0; query head h uses kv head
    h // (H/Hkv), as HF repeat_kv), mask [B,T,T] bool -> [B,H,T,D].
    Scores and softmax are taken in max(f32, dtype).
    """
    H, Hkv = q.shape[1], k.shape[1]
    if H != Hkv:
        k = k.repeat_interleave(H // Hkv, dim=1)
        v = v.repeat_interleave(H // Hkv, dim=1)
    acc = _acc_dtype(q.dtype)
    scores = torch.matmul(q.to(acc), k.to(acc).transpose(-1, -2)) * scale
    scores = scores.masked_fill(~mask[:, None, :, :], float("-inf"))
    probs = torch.softmax(scores, dim=-1).to(v.dtype)
    return torch.matmul(probs, v)


def lm_loss(logits, targets):
    """Mean cross-entropy over targets != -1 (NaN if there are none, as torch)."""
    V = logits.shape[-1]
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets shape {tuple(targets.shape)} != {tuple(logits.shape[:-1])}")
    bad = (targets != IGNORE_INDEX) & ((targets < 0) | (targets >= V))
    if bad.any():
        raise ValueError(f"targets must be -1 or lie in [0, {V}), got {int(targets[bad][0])}")
    return F.cross_entropy(logits.reshape(-1, V).to(_acc_dtype(logits.dtype)),
                           targets.reshape(-1), ignore_index=IGNORE_INDEX)


def _check_inputs(input_ids, doc_ids, vocab_size, max_pos):
    if input_ids.dim() != 2:
        raise ValueError(f"input_ids must be [B,T], got {tuple(input_ids.shape)}")
    if doc_ids is None:
        doc_ids = torch.zeros_like(input_ids)
    if doc_ids.shape != input_ids.shape:
        raise ValueError(f"doc_ids shape {tuple(doc_ids.shape)} != input_ids "
                         f"shape {tuple(input_ids.shape)}")
    if input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= vocab_size):
        raise ValueError(f"input_ids must lie in [0, {vocab_size}), got "
                         f"[{int(input_ids.min())}, {int(input_ids.max())}]")
    positions, mask = doc_layout(doc_ids)
    if max_pos is not None and positions.numel() and int(positions.max()) >= max_pos:
        raise ValueError(f"a document of length {int(positions.max()) + 1} exceeds "
                         f"the {max_pos} positions of the model")
    return positions, mask


# ----------------------------------------------------------------------------
# GPT-2


class Conv1D(nn.Module):
    """HF Conv1D: weight [in, out], y = x @ W + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(
            *x.shape[:-1], self.weight.shape[1])


def gelu_new(x):
    """HF NewGELUActivation (GELU, tanh approximation)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, C, n_head):
        super().__init__()
        self.n_head = n_head
        self.c_attn = Conv1D(C, 3 * C)
        self.c_proj = Conv1D(C, C)

    def forward(self, x, mask):
        B, T, C = x.shape
        D = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (z.view(B, T, self.n_head, D).transpose(1, 2) for z in (q, k, v))
        y = masked_attention(q, k, v, mask, 1.0 / math.sqrt(D))
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))


class GPT2MLP(nn.Module):
    def __init__(self, C, inner):
        super().__init__()
        self.c_fc = Conv1D(C, inner)
        self.c_proj = Conv1D(inner, C)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, C, n_head, inner, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C, eps=eps)
        self.attn = GPT2Attention(C, n_head)
        self.ln_2 = nn.LayerNorm(C, eps=eps)
        self.mlp = GPT2MLP(C, inner)

    def forward(self, x, mask):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class GPT2LMHead(nn.Module):
    family = "gpt2"

    def __init__(self, config):
        super().__init__()
        act = config.get("activation_function", "gelu_new")
        if act not in ("gelu_new", "gelu_pytorch_tanh"):
            raise NotImplementedError(f"gpt2 activation_function={act!r}")
        for key in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"):
            if config.get(key):
                raise NotImplementedError(f"gpt2 {key}=true")
        if config.get("scale_attn_weights", True) is not True:
            raise NotImplementedError("gpt2 scale_attn_weights=false")
        self.config = dict(config)
        V, C, P = config["vocab_size"], config["n_embd"], config["n_positions"]
        L, H = config["n_layer"], config["n_head"]
        if C % H:
            raise ValueError(f"n_embd {C} not divisible by n_head {H}")
        inner = config.get("n_inner") or 4 * C
        eps = config.get("layer_norm_epsilon", 1e-5)
        self.tied = config.get("tie_word_embeddings", True)
        self.n_layer, self.vocab_size, self.n_positions = L, V, P
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(V, C)
        self.transformer.wpe = nn.Embedding(P, C)
        self.transformer.h = nn.ModuleList(GPT2Block(C, H, inner, eps) for _ in range(L))
        self.transformer.ln_f = nn.LayerNorm(C, eps=eps)
        if not self.tied:
            self.lm_head = nn.Linear(C, V, bias=False)

    def output_weight(self):
        return self.transformer.wte.weight if self.tied else self.lm_head.weight

    @staticmethod
    def is_residual_proj(name):
        return name.endswith("attn.c_proj.weight") or name.endswith("mlp.c_proj.weight")

    @staticmethod
    def is_norm_weight(name):
        return ".ln_" in name or name.startswith("transformer.ln_f")

    def forward(self, input_ids, doc_ids=None, targets=None):
        positions, mask = _check_inputs(input_ids, doc_ids, self.vocab_size, self.n_positions)
        tr = self.transformer
        x = tr.wte(input_ids) + tr.wpe(positions)
        for block in tr.h:
            x = block(x, mask)
        x = tr.ln_f(x)
        logits = torch.matmul(x, self.output_weight().t())
        loss = lm_loss(logits, targets) if targets is not None else None
        return logits, loss


# ----------------------------------------------------------------------------
# Llama


class LlamaRMSNorm(nn.Module):
    def __init__(self, C, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(C))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        h = x.to(_acc_dtype(dtype))
        var = h.pow(2).mean(-1, keepdim=True)
        h = h * torch.rsqrt(var + self.eps)
        return self.weight * h.to(dtype)


def rope_cos_sin(positions, head_dim, theta, dtype):
    """HF LlamaRotaryEmbedding (default rope_type): tables [B,T,D] in f32, cast."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    freqs = positions.float()[..., None] * inv_freq.to(positions.device)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    """x [B,H,T,D], cos/sin [B,T,D]."""
    cos, sin = cos[:, None], sin[:, None]
    return x * cos + rotate_half(x) * sin


class LlamaAttention(nn.Module):
    def __init__(self, C, n_head, n_kv, head_dim):
        super().__init__()
        self.n_head, self.n_kv, self.head_dim = n_head, n_kv, head_dim
        self.q_proj = nn.Linear(C, n_head * head_dim, bias=False)
        self.k_proj = nn.Linear(C, n_kv * head_dim, bias=False)
        self.v_proj = nn.Linear(C, n_kv * head_dim, bias=False)
        self.o_proj = nn.Linear(n_head * head_dim, C, bias=False)

    def forward(self, x, mask, cos, sin):
        B, T, _ = x.shape
        D = self.head_dim
        q = self.q_proj(x).view(B, T, self.n_head, D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.n_kv, D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.n_kv, D).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        y = masked_attention(q, k, v, mask, 1.0 / math.sqrt(D))
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.n_head * D))


class LlamaMLP(nn.Module):
    def __init__(self, C, inner):
        super().__init__()
        self.gate_proj = nn.Linear(C, inner, bias=False)
        self.up_proj = nn.Linear(C, inner, bias=False)
        self.down_proj = nn.Linear(inner, C, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, C, n_head, n_kv, head_dim, inner, eps):
        super().__init__()
        self.input_layernorm = LlamaRMSNorm(C, eps)
        self.self_attn = LlamaAttention(C, n_head, n_kv, head_dim)
        self.post_attention_layernorm = LlamaRMSNorm(C, eps)
        self.mlp = LlamaMLP(C, inner)

    def forward(self, x, mask, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), mask, cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaForCausalLM(nn.Module):
    family = "llama"

    def __init__(self, config):
        super().__init__()
        if config.get("hidden_act", "silu") != "silu":
            raise NotImplementedError(f"llama hidden_act={config.get('hidden_act')!r}")
        for key in ("attention_bias", "mlp_bias", "rope_scaling"):
            if config.get(key):
                raise NotImplementedError(f"llama {key}={config.get(key)!r}")
        self.config = dict(config)
        V, C = config["vocab_size"], config["hidden_size"]
        L, H = config["num_hidden_layers"], config["num_attention_heads"]
        n_kv = config.get("num_key_value_heads") or H
        if H % n_kv:
            raise ValueError(f"num_attention_heads {H} not divisible by num_key_value_heads {n_kv}")
        head_dim = config.get("head_dim") or C // H
        if head_dim % 2:
            raise ValueError(f"head_dim {head_dim} must be even for RoPE")
        eps = config.get("rms_norm_eps", 1e-6)
        self.theta = float(config.get("rope_theta", 10000.0))
        self.head_dim, self.n_layer, self.vocab_size = head_dim, L, V
        self.max_pos = config.get("max_position_embeddings")
        self.tied = config.get("tie_word_embeddings", False)
        self.model = nn.Module()
        self.model.embed_tokens = nn.Embedding(V, C)
        self.model.layers = nn.ModuleList(
            LlamaDecoderLayer(C, H, n_kv, head_dim, config["intermediate_size"], eps) for _ in range(L))
        self.model.norm = LlamaRMSNorm(C, eps)
        if not self.tied:
            self.lm_head = nn.Linear(C, V, bias=False)

    def output_weight(self):
        return self.model.embed_tokens.weight if self.tied else self.lm_head.weight

    @staticmethod
    def is_residual_proj(name):
        return name.endswith("o_proj.weight") or name.endswith("down_proj.weight")

    @staticmethod
    def is_norm_weight(name):
        return "layernorm" in name or name == "model.norm.weight"

    def forward(self, input_ids, doc_ids=None, targets=None):
        positions, mask = _check_inputs(input_ids, doc_ids, self.vocab_size, self.max_pos)
        x = self.model.embed_tokens(input_ids)
        cos, sin = rope_cos_sin(positions, self.head_dim, self.theta, x.dtype)
        for layer in self.model.layers:
            x = layer(x, mask, cos, sin)
        x = self.model.norm(x)
        logits = torch.matmul(x, self.output_weight().t())
        loss = lm_loss(logits, targets) if targets is not None else None
        return logits, loss


# ----------------------------------------------------------------------------
# Construction, init, loading


def build_model(config):
    return {"gpt2": GPT2LMHead, "llama": LlamaForCausalLM}[model_family(config)](config)


@torch.no_grad()
def init_weights(model, seed):
    """GPT-2/Megatron init, deterministic in seed: N(0, 0.02) for every weight
    matrix and embedding, N(0, 0.02/sqrt(2*n_layer)) for the residual output
    projections, zero biases, unit norm weights. Parameters are drawn in
    named_parameters() order from one torch.Generator seeded with seed."""
    gen = torch.Generator().manual_seed(int(seed))
    resid_std = 0.02 / math.sqrt(2 * model.n_layer)
    for name, p in model.named_parameters():
        if name.endswith(".bias"):
            p.zero_()
        elif model.is_norm_weight(name):
            p.fill_(1.0)
        else:
            std = resid_std if model.is_residual_proj(name) else 0.02
            p.copy_(torch.normal(0.0, std, size=p.shape, generator=gen, dtype=torch.float32))
    return model


@torch.no_grad()
def load_weights(model, tensors):
    """Load an HF-named dict into model (exact name set; tied -> no lm_head)."""
    tensors = dict(tensors)
    params = dict(model.named_parameters())
    if model.tied and "lm_head.weight" in tensors:
        emb = model.output_weight()
        emb_name = [n for n, p in params.items() if p is emb][0]
        if emb_name in tensors and not torch.equal(tensors["lm_head.weight"], tensors[emb_name]):
            raise ValueError("tie_word_embeddings is true but lm_head.weight differs from "
                             f"{emb_name}")
        del tensors["lm_head.weight"]
    missing = sorted(set(params) - set(tensors))
    unexpected = sorted(set(tensors) - set(params))
    if missing or unexpected:
        raise ValueError(f"weights do not match the config: missing {missing}, "
                         f"unexpected {unexpected}")
    for name, p in params.items():
        t = tensors[name]
        if tuple(t.shape) != tuple(p.shape):
            raise ValueError(f"{name}: shape {tuple(t.shape)}, config expects {tuple(p.shape)}")
        p.copy_(t.to(p.dtype))
    return model


def hf_state_dict(model):
    """{hf_name: tensor} for every parameter (no lm_head.weight when tied)."""
    return {n: p.detach().clone() for n, p in model.named_parameters()}
