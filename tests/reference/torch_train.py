"""Training oracle: the optimizer semantics Seek's trainer implements, in torch.

Used by `reference_cli.py train` and tests/reference/test_train_selfcheck.py.
README.md ("Training oracle") states the conventions; in short:

* AdamW exactly as torch.optim.AdamW(foreach=False): two parameter groups,
  decay (weight_decay = wd) and no-decay (weight_decay = 0). Decay holds every
  2-D parameter except the embeddings (transformer.wte.weight,
  transformer.wpe.weight, model.embed_tokens.weight); an untied lm_head.weight
  decays. 1-D tensors (norm weights, biases) and embeddings do not, unless
  decay_norms_and_biases / decay_embeddings move them into the decay group.
* lr per 0-based optimizer step s from lr_at() (warmup, then cosine /
  constant / wsd / multistep), a Python float written to every group's "lr"
  before optimizer.step().
* A micro-batches per step: each micro-batch backpropagates
  (sum of its token losses) / (targets over all A micro-batches of the step),
  so the step's gradient is that of the step's combined mean loss.
* clip_grad_norm_(max_norm) semantics; the pre-clip total norm is reported.
"""

import math

import torch
import torch.nn.functional as F

import torch_models

EMBEDDING_NAMES = ("transformer.wte.weight", "transformer.wpe.weight",
                   "model.embed_tokens.weight")
SCHEDULES = ("cosine", "constant", "wsd", "multistep")

# OPT.json keys and their defaults. total_steps None = number of steps in the run.
OPT_DEFAULTS = {
    "lr": 1e-3,
    "min_lr": 1e-4,
    "warmup_steps": 2,
    "total_steps": None,
    "schedule": "cosine",
    "decay_fraction": 0.2,
    "milestones": [0.8, 0.9],
    "factors": [0.316, 0.1],
    "weight_decay": 0.1,
    "beta1": 0.9,
    "beta2": 0.95,
    "eps": 1e-8,
    "grad_clip": 1.0,
    "grad_accum": 2,
    "decay_embeddings": False,
    "decay_norms_and_biases": False,
}


class OptError(ValueError):
    """Bad optimizer settings or batches."""


def round_half_up(x):
    """Round a non-negative float half away from zero, as C++ std::round (not
    Python's round(), which rounds half to even)."""
    f = math.floor(x)
    return int(f) + (1 if x - f >= 0.5 else 0)


def resolve_opt(opt, n_steps=None):
    """OPT dict (possibly partial) -> complete, validated dict. Unknown keys are
    an error (a misspelt key would otherwise silently fall back to a default)."""
    opt = dict(opt or {})
    unknown = sorted(set(opt) - set(OPT_DEFAULTS))
    if unknown:
        raise OptError(f"unknown optimizer keys {unknown}; known: {sorted(OPT_DEFAULTS)}")
    r = dict(OPT_DEFAULTS)
    r["milestones"] = list(r["milestones"])
    r["factors"] = list(r["factors"])
    r.update({k: v for k, v in opt.items() if v is not None or k in ("grad_clip", "total_steps")})
    if r["total_steps"] is None:
        r["total_steps"] = n_steps  # may stay None until the number of steps is known
    for k in ("lr", "min_lr", "decay_fraction", "weight_decay", "beta1", "beta2", "eps"):
        r[k] = float(r[k])
    for k in ("warmup_steps", "total_steps", "grad_accum"):
        if k == "total_steps" and r[k] is None:
            continue
        if isinstance(r[k], bool) or not isinstance(r[k], (int, float)) or int(r[k]) != r[k]:
            raise OptError(f"{k} must be an integer, got {r[k]!r}")
        r[k] = int(r[k])
    r["grad_clip"] = 0.0 if r["grad_clip"] is None else float(r["grad_clip"])
    for k in ("decay_embeddings", "decay_norms_and_biases"):
        if not isinstance(r[k], bool):
            raise OptError(f"{k} must be true or false, got {r[k]!r}")
    if r["schedule"] not in SCHEDULES:
        raise OptError(f"schedule {r['schedule']!r}; expected one of {list(SCHEDULES)}")
    if r["grad_accum"] < 1:
        raise OptError(f"grad_accum must be >= 1, got {r['grad_accum']}")
    if r["warmup_steps"] < 0 or (r["total_steps"] or 0) < 0:
        raise OptError("warmup_steps and total_steps must be >= 0")
    if r["grad_clip"] < 0 or r["weight_decay"] < 0 or r["eps"] < 0:
        raise OptError("grad_clip, weight_decay and eps must be >= 0")
    if not (0.0 <= r["beta1"] < 1.0 and 0.0 <= r["beta2"] < 1.0):
        raise OptError("beta1 and beta2 must lie in [0, 1)")
    if not 0.0 <= r["decay_fraction"] <= 1.0:
        raise OptError(f"decay_fraction must lie in [0, 1], got {r['decay_fraction']}")
    r["milestones"] = [float(m) for m in r["milestones"]]
    r["factors"] = [float(f) for f in r["factors"]]
    if len(r["milestones"]) != len(r["factors"]):
        raise OptError(f"milestones ({len(r['milestones'])}) and factors ({len(r['factors'])}) "
                       "must have the same length")
    return r


def lr_at(s, opt):
    """Learning rate (Python float) for 0-based optimizer step s; opt resolved."""
    max_lr, min_lr = opt["lr"], opt["min_lr"]
    warmup, total = opt["warmup_steps"], opt["total_steps"]
    if warmup > 0 and s < warmup:
        return max_lr * (s + 1) / warmup
    sched = opt["schedule"]
    if sched == "constant":
        return max_lr
    if sched == "cosine":
        progress = min(max((s - warmup) / max(1, total - warmup), 0.0), 1.0)
        return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * progress))
    if sched == "wsd":
        decay_start = total - round_half_up(opt["decay_fraction"] * total)
        if s < decay_start:
            return max_lr
        # Clamped at 1 so that steps past total_steps stay at min_lr.
        progress = min((s - decay_start) / max(1, total - decay_start), 1.0)
        return max_lr - (max_lr - min_lr) * progress
    if sched == "multistep":
        # DeepSeek LLM: 31.6% of the maximum after 80% of training, 10% after 90%:
        # each factor is a fraction of max_lr (not of the previous stage's lr).
        lr = max_lr
        for m, f in zip(opt["milestones"], opt["factors"]):
            if s >= round_half_up(m * total):
                lr = max_lr * f
        return lr
    raise OptError(f"schedule {sched!r}")


def decay_split(model, decay_embeddings=False, decay_norms_and_biases=False):
    """-> (decay_names, no_decay_names), each in named_parameters() order."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if name in EMBEDDING_NAMES:
            d = decay_embeddings
        elif p.dim() >= 2:
            d = True
        else:
            d = decay_norms_and_biases
        (decay if d else no_decay).append(name)
    return decay, no_decay


def make_optimizer(model, opt):
    params = dict(model.named_parameters())
    decay, no_decay = decay_split(model, opt["decay_embeddings"], opt["decay_norms_and_biases"])
    groups = []
    for names, wd in ((decay, opt["weight_decay"]), (no_decay, 0.0)):
        if names:
            groups.append({"params": [params[n] for n in names], "weight_decay": wd,
                           "names": list(names)})
    return torch.optim.AdamW(groups, lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]),
                             eps=opt["eps"], weight_decay=0.0, amsgrad=False, foreach=False)


def lm_loss_sum(logits, targets):
    """(sum of cross-entropy over targets != -1, number of such targets).
    The sum is taken in max(f32, dtype), like torch_models.lm_loss."""
    V = logits.shape[-1]
    if targets.shape != logits.shape[:-1]:
        raise OptError(f"targets shape {tuple(targets.shape)} != {tuple(logits.shape[:-1])}")
    bad = (targets != torch_models.IGNORE_INDEX) & ((targets < 0) | (targets >= V))
    if bad.any():
        raise OptError(f"targets must be -1 or lie in [0, {V}), got {int(targets[bad][0])}")
    acc = torch.promote_types(logits.dtype, torch.float32)
    total = F.cross_entropy(logits.reshape(-1, V).to(acc), targets.reshape(-1),
                            ignore_index=torch_models.IGNORE_INDEX, reduction="sum")
    return total, int((targets != torch_models.IGNORE_INDEX).sum())


def accumulate(model, micro_batches):
    """Forward + backward of one optimizer step's micro-batches into .grad
    (zeroed first). Each micro-batch backpropagates loss_sum / n_total where
    n_total counts the targets of all of them. Returns (loss, n_total): loss =
    sum(float64(loss_sum_i)) / n_total, computed from the per-micro-batch sums."""
    model.zero_grad(set_to_none=True)
    n_total = sum(int((t != torch_models.IGNORE_INDEX).sum()) for _, t, _ in micro_batches)
    if n_total == 0:
        raise OptError("a step's micro-batches hold no target (loss undefined)")
    sums = []
    for input_ids, targets, doc_ids in micro_batches:
        logits, _ = model(input_ids, doc_ids, None)
        s, _ = lm_loss_sum(logits, targets)
        (s / n_total).backward()
        sums.append(float(s.detach()))
    for p in model.parameters():  # dense grads, as a trainer with gradient buffers has
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    return sum(sums) / n_total, n_total


def grad_norm_and_clip(model, max_norm):
    """Pre-clip total 2-norm of all grads (float); clips in place with
    clip_grad_norm_ semantics when max_norm > 0."""
    params = [p for p in model.parameters() if p.grad is not None]
    if max_norm and max_norm > 0:
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    else:
        total = torch.norm(torch.stack([torch.norm(p.grad.detach(), 2.0) for p in params]), 2.0)
    return float(total)


def train(model, micro_batches, opt):
    """Run len(micro_batches) / grad_accum AdamW steps on model (in place).

    micro_batches: list of (input_ids, targets, doc_ids) tensors, consumed in
    order. opt: OPT dict (resolved here; total_steps defaults to the number of
    steps). Returns {"loss", "lr", "grad_norm", "targets"} lists (one per step)
    and the resolved opt under "opt"."""
    A = resolve_opt(opt)["grad_accum"]
    if not micro_batches or len(micro_batches) % A:
        raise OptError(f"{len(micro_batches)} micro-batches are not a positive multiple of "
                       f"grad_accum {A}")
    n_steps = len(micro_batches) // A
    opt = resolve_opt(opt, n_steps)
    optimizer = make_optimizer(model, opt)
    result = {"loss": [], "lr": [], "grad_norm": [], "targets": []}
    model.train()
    for s in range(n_steps):
        loss, n_tgt = accumulate(model, micro_batches[s * A:(s + 1) * A])
        norm = grad_norm_and_clip(model, opt["grad_clip"])
        lr = lr_at(s, opt)
        for g in optimizer.param_groups:
            g["lr"] = lr
        optimizer.step()
        result["loss"].append(loss)
        result["lr"].append(lr)
        result["grad_norm"].append(norm)
        result["targets"].append(n_tgt)
    model.zero_grad(set_to_none=True)
    result["opt"] = opt
    return result
