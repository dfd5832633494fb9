#!/usr/bin/python3
"""Command line of the PyTorch oracle that the C++ model is tested against.

  init    --config CFG.json --seed S --out DIR
  run     --model DIR --batch BATCH.json --out OUT.safetensors [--dtype float32|float64]
  compare --a A.safetensors --b B.safetensors [--logits-atol 1e-4] [--loss-atol 1e-5]
          [--grad-rtol 1e-4]
  batch   --config CFG.json --seed S --batch-size B --seq-len T --out BATCH.json [--docs]
  batches --config CFG.json --seed S --batch-size B --seq-len T --count N --out BATCHES.json
          [--docs]
  train   --model DIR --batches BATCHES.json --opt OPT.json --out RESULT.json
          [--dtype float32|float64] [--save DIR]
  compare-train --a A.json --b B.json [--loss-atol 1e-4] [--lr-rtol 1e-9]
          [--grad-norm-rtol 1e-3]

Exit status: 0 success / all within tolerance, 1 compare found values out of
tolerance, 2 bad input (missing file, tensor sets or shapes differ, bad config).
See README.md in this folder for the conventions.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch_models  # noqa: E402
import torch_train  # noqa: E402

from safetensors_io import load_file, save_file  # noqa: E402  (shared reader/writer)

DTYPES = {"float32": torch.float32, "float64": torch.float64}
RANDOM_IGNORE_P = 0.1  # share of in-document targets set to -1 by `batch`


class UsageError(Exception):
    """Bad input: reported on stderr, exit status 2."""


def _read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{what} {path}: {e}")


def _max_positions(config):
    return config.get("n_positions") or config.get("max_position_embeddings")


# ----------------------------------------------------------------------------
# init


def cmd_init(args):
    config = _read_json(args.config, "config")
    try:
        family = torch_models.model_family(config)
        model = torch_models.build_model(config)
    except (ValueError, KeyError, NotImplementedError) as e:
        raise UsageError(f"config {args.config}: {e!r}")
    torch_models.init_weights(model, args.seed)
    out_config = dict(config)
    out_config.setdefault("model_type", family)
    out_config.setdefault("architectures", [torch_models.ARCHITECTURES[family]])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(out_config, f, indent=2)
        f.write("\n")
    save_file(torch_models.hf_state_dict(model), os.path.join(args.out, "model.safetensors"),
              metadata={"format": "pt"})
    n = sum(p.numel() for p in model.parameters())
    print(f"init: {family} seed={args.seed} params={n} -> {args.out}")
    return 0


# ----------------------------------------------------------------------------
# run


def load_model(model_dir, dtype=torch.float32):
    config = _read_json(os.path.join(model_dir, "config.json"), "config")
    try:
        model = torch_models.build_model(config).to(dtype)
        tensors = load_file(os.path.join(model_dir, "model.safetensors"))
        torch_models.load_weights(model, tensors)
    except (ValueError, KeyError, NotImplementedError, OSError) as e:
        raise UsageError(f"model {model_dir}: {e}")
    return model


def load_batch(path):
    batch = _read_json(path, "batch")
    try:
        input_ids = torch.tensor(batch["input_ids"], dtype=torch.int64)
        targets = torch.tensor(batch["targets"], dtype=torch.int64)
        doc_ids = (torch.tensor(batch["doc_ids"], dtype=torch.int64) if "doc_ids" in batch
                   else torch.zeros_like(input_ids))
    except (KeyError, ValueError, TypeError) as e:
        raise UsageError(f"batch {path}: {e!r}; expected {{input_ids, targets, doc_ids?}} "
                         "as equal-shape [B][T] integer lists")
    if input_ids.dim() != 2 or targets.shape != input_ids.shape or doc_ids.shape != input_ids.shape:
        raise UsageError(f"batch {path}: input_ids {tuple(input_ids.shape)}, targets "
                         f"{tuple(targets.shape)}, doc_ids {tuple(doc_ids.shape)}: want equal [B,T]")
    return input_ids, targets, doc_ids


def run_model(model, input_ids, targets, doc_ids):
    """Forward + backward; returns the output dict (all f32)."""
    model.zero_grad(set_to_none=True)
    logits, loss = model(input_ids, doc_ids, targets)
    loss.backward()
    out = {"logits": logits.detach().float().contiguous(),
           "loss": loss.detach().float().reshape(1)}
    for name, p in model.named_parameters():
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        out["grad." + name] = g.detach().float().contiguous()
    return out


def cmd_run(args):
    dtype = DTYPES[args.dtype]
    model = load_model(args.model, dtype)
    input_ids, targets, doc_ids = load_batch(args.batch)
    try:
        out = run_model(model, input_ids, targets, doc_ids)
    except ValueError as e:
        raise UsageError(f"batch {args.batch}: {e}")
    save_file(out, args.out, metadata={"producer": "tests/reference/reference_cli.py",
                                       "compute_dtype": args.dtype})
    n_tgt = int((targets != torch_models.IGNORE_INDEX).sum())
    print(f"run: {model.family} {args.dtype} B={input_ids.shape[0]} T={input_ids.shape[1]} "
          f"targets={n_tgt} loss={out['loss'].item():.7f} -> {args.out}")
    return 0


# ----------------------------------------------------------------------------
# compare

REL_DEF = "rel = max|a-b| / max(max|b|, 1e-6)  (b is the reference)"


def compare_outputs(a, b, logits_atol, loss_atol, grad_rtol, out=None):
    """Returns the list of failing tensor names (raises UsageError on set/shape mismatch)."""
    out = out or sys.stdout
    if set(a) != set(b):
        raise UsageError("tensor sets differ: only in a: %s; only in b: %s"
                         % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))
    order = [k for k in ("logits", "loss") if k in a] + sorted(k for k in a if k not in ("logits", "loss"))
    bad_shapes = [k for k in order if tuple(a[k].shape) != tuple(b[k].shape)]
    if bad_shapes:
        raise UsageError("shapes differ: " + ", ".join(
            f"{k} a={tuple(a[k].shape)} b={tuple(b[k].shape)}" for k in bad_shapes))
    print("metrics: logits -> max|a-b| (atol); loss -> |a-b| (atol); grad.* -> " + REL_DEF
          + " (rtol)", file=out)
    w = max(len(k) for k in order) if order else 4
    print(f"{'tensor':<{w}}  {'shape':<16} {'metric':<7} {'value':>11} {'tol':>9}  status", file=out)
    failures = []
    for k in order:
        x, y = a[k].double(), b[k].double()
        diff = (x - y).abs().max().item() if x.numel() else 0.0
        if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
            diff = math.nan
        if k.startswith("grad."):
            ref = y.abs().max().item() if y.numel() else 0.0
            metric, value, tol = "rel", diff / max(ref, 1e-6), grad_rtol
        elif k == "logits":
            metric, value, tol = "abs", diff, logits_atol
        elif k == "loss":
            metric, value, tol = "abs", diff, loss_atol
        else:
            raise UsageError(f"unknown tensor {k!r}: expected logits, loss, grad.<name>")
        ok = value <= tol  # False for NaN
        if not ok:
            failures.append(k)
        shape = "x".join(str(s) for s in x.shape) or "scalar"
        print(f"{k:<{w}}  {shape:<16} {metric:<7} {value:11.3e} {tol:9.1e}  {'ok' if ok else 'FAIL'}",
              file=out)
    return failures


def cmd_compare(args):
    for p in (args.a, args.b):
        if not os.path.exists(p):
            raise UsageError(f"no such file: {p}")
    a, b = load_file(args.a), load_file(args.b)
    failures = compare_outputs(a, b, args.logits_atol, args.loss_atol, args.grad_rtol)
    if failures:
        print(f"FAIL: {len(failures)} of {len(a)} tensors out of tolerance: " + ", ".join(failures))
        return 1
    print(f"PASS: all {len(a)} tensors within tolerance")
    return 0


# ----------------------------------------------------------------------------
# batch


def make_batch(config, seed, batch_size, seq_len, docs):
    """Random batch (see README: conventions). Returns a JSON-ready dict."""
    V, P = config["vocab_size"], _max_positions(config)
    if batch_size < 1 or seq_len < 1:
        raise UsageError("--batch-size and --seq-len must be >= 1")
    if not docs and P is not None and seq_len > P:
        raise UsageError(f"--seq-len {seq_len} exceeds the model's {P} positions (use --docs "
                         "with documents no longer than that)")
    rng = np.random.default_rng(seed)
    input_ids = rng.integers(0, V, size=(batch_size, seq_len))
    doc_ids = np.zeros((batch_size, seq_len), dtype=np.int64)
    if docs:
        for b in range(batch_size):
            doc_ids[b] = _random_docs(rng, seq_len, P)
    targets = np.full((batch_size, seq_len), -1, dtype=np.int64)
    same_doc_next = doc_ids[:, 1:] == doc_ids[:, :-1]
    targets[:, :-1] = np.where(same_doc_next, input_ids[:, 1:], -1)
    drop = rng.random((batch_size, seq_len)) < RANDOM_IGNORE_P
    kept = np.where(drop, -1, targets)
    if (kept != -1).any() or not (targets != -1).any():
        targets = kept
    if not (targets != -1).any():  # e.g. T == 1 or only length-1 documents
        targets[0, 0] = rng.integers(0, V)
    return {"input_ids": input_ids.tolist(), "targets": targets.tolist(),
            "doc_ids": doc_ids.tolist()}


def _random_docs(rng, T, max_len):
    """doc ids 0,1,2,... for one row: 2-6 documents of random lengths, always
    one of length 1 when T >= 2, none longer than max_len."""
    cuts = set()
    if T >= 2:
        k = int(rng.integers(1, min(T - 1, 5) + 1))
        cuts.update(int(c) for c in rng.choice(np.arange(1, T), size=k, replace=False))
        c = int(rng.integers(0, T))  # a length-1 document [c, c+1)
        cuts.update(x for x in (c, c + 1) if 0 < x < T)
    if max_len:
        bounds = sorted(cuts | {0, T})
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            cuts.update(range(lo + max_len, hi, max_len))
    ids = np.zeros(T, dtype=np.int64)
    for c in sorted(cuts):
        ids[c:] += 1
    return ids


def cmd_batch(args):
    config = _read_json(args.config, "config")
    batch = make_batch(config, args.seed, args.batch_size, args.seq_len, args.docs)
    with open(args.out, "w") as f:
        json.dump(batch, f)
        f.write("\n")
    n_docs = sum(len(set(r)) for r in batch["doc_ids"])
    n_tgt = sum(t != -1 for r in batch["targets"] for t in r)
    print(f"batch: B={args.batch_size} T={args.seq_len} documents={n_docs} targets={n_tgt} -> {args.out}")
    return 0


# ----------------------------------------------------------------------------
# batches, train, compare-train (training oracle: torch_train.py)


def cmd_batches(args):
    config = _read_json(args.config, "config")
    if args.count < 1 or args.seed < 0:
        raise UsageError("--count must be >= 1 and --seed >= 0")
    # Micro-batch i is `batch` drawn with numpy seed [S, i] (independent streams).
    micro = [make_batch(config, [args.seed, i], args.batch_size, args.seq_len, args.docs)
             for i in range(args.count)]
    with open(args.out, "w") as f:
        json.dump({"micro_batches": micro}, f)
        f.write("\n")
    n_tgt = [sum(t != -1 for r in m["targets"] for t in r) for m in micro]
    print(f"batches: {args.count} x B={args.batch_size} T={args.seq_len} targets={n_tgt} "
          f"-> {args.out}")
    return 0


def load_micro_batches(path):
    data = _read_json(path, "batches")
    if not isinstance(data, dict) or not isinstance(data.get("micro_batches"), list):
        raise UsageError(f"batches {path}: expected {{\"micro_batches\": [{{input_ids, targets, "
                         "doc_ids?}, ...]}")
    out = []
    for i, b in enumerate(data["micro_batches"]):
        try:
            input_ids = torch.tensor(b["input_ids"], dtype=torch.int64)
            targets = torch.tensor(b["targets"], dtype=torch.int64)
            doc_ids = (torch.tensor(b["doc_ids"], dtype=torch.int64) if "doc_ids" in b
                       else torch.zeros_like(input_ids))
        except (KeyError, ValueError, TypeError) as e:
            raise UsageError(f"batches {path}: micro_batches[{i}]: {e!r}")
        if (input_ids.dim() != 2 or targets.shape != input_ids.shape
                or doc_ids.shape != input_ids.shape):
            raise UsageError(f"batches {path}: micro_batches[{i}]: input_ids "
                             f"{tuple(input_ids.shape)}, targets {tuple(targets.shape)}, doc_ids "
                             f"{tuple(doc_ids.shape)}: want equal [B,T]")
        out.append((input_ids, targets, doc_ids))
    if not out:
        raise UsageError(f"batches {path}: no micro-batch")
    return out


def cmd_train(args):
    dtype = DTYPES[args.dtype]
    model = load_model(args.model, dtype)
    micro = load_micro_batches(args.batches)
    opt = _read_json(args.opt, "opt") if args.opt else {}
    if not isinstance(opt, dict):
        raise UsageError(f"opt {args.opt}: expected a JSON object")
    try:
        res = torch_train.train(model, micro, opt)
    except (ValueError, TypeError) as e:
        raise UsageError(f"train: {e}")
    result = {"loss": res["loss"], "lr": res["lr"], "grad_norm": res["grad_norm"],
              "targets": res["targets"], "opt": res["opt"], "dtype": args.dtype,
              "family": model.family}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        with open(os.path.join(args.save, "config.json"), "w") as f:
            json.dump(model.config, f, indent=2)
            f.write("\n")
        weights = {n: t.float().contiguous() for n, t in torch_models.hf_state_dict(model).items()}
        save_file(weights, os.path.join(args.save, "model.safetensors"),
                  metadata={"format": "pt"})
    o = res["opt"]
    print(f"train: {model.family} {args.dtype} steps={len(res['loss'])} A={o['grad_accum']} "
          f"{o['schedule']} loss {res['loss'][0]:.7f} -> {res['loss'][-1]:.7f} -> {args.out}"
          + (f" (weights -> {args.save})" if args.save else ""))
    return 0


def _rel_close(a, b, rtol):
    """|a-b| <= rtol * max(|a|, |b|); False for NaN/Inf."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= rtol * max(abs(a), abs(b))


def compare_train(a, b, loss_atol, lr_rtol, grad_norm_rtol, out=None):
    """Returns the list of failing 0-based steps (UsageError on malformed input)."""
    out = out or sys.stdout
    for k in ("loss", "lr", "grad_norm"):
        for name, r in (("a", a), ("b", b)):
            if not isinstance(r.get(k), list):
                raise UsageError(f"{name}: no list {k!r}")
            try:
                r[k] = [float(x) for x in r[k]]
            except (TypeError, ValueError) as e:
                raise UsageError(f"{name}: {k}: {e}")
    lens = {(n, k): len(r[k]) for n, r in (("a", a), ("b", b)) for k in ("loss", "lr", "grad_norm")}
    if len(set(lens.values())) != 1:
        raise UsageError("step counts differ: " + ", ".join(f"{n}.{k}={v}"
                                                            for (n, k), v in lens.items()))
    print(f"checks: |loss a-b| <= {loss_atol:g}; lr rel <= {lr_rtol:g}; grad_norm rel <= "
          f"{grad_norm_rtol:g}  (rel = |a-b| / max(|a|,|b|))", file=out)
    print(f"{'step':>4} {'loss a':>12} {'loss b':>12} {'|diff|':>9} {'lr a':>11} {'lr b':>11} "
          f"{'gnorm a':>11} {'gnorm b':>11}  status", file=out)
    failures = []
    for s in range(len(a["loss"])):
        la, lb = a["loss"][s], b["loss"][s]
        d = abs(la - lb)
        bad = []
        if not (d <= loss_atol):  # NaN fails
            bad.append("loss")
        if not _rel_close(a["lr"][s], b["lr"][s], lr_rtol):
            bad.append("lr")
        if not _rel_close(a["grad_norm"][s], b["grad_norm"][s], grad_norm_rtol):
            bad.append("grad_norm")
        if bad:
            failures.append(s)
        print(f"{s:>4} {la:12.7f} {lb:12.7f} {d:9.2e} {a['lr'][s]:11.4e} {b['lr'][s]:11.4e} "
              f"{a['grad_norm'][s]:11.4e} {b['grad_norm'][s]:11.4e}  "
              + ("ok" if not bad else "FAIL " + ",".join(bad)), file=out)
    return failures


def cmd_compare_train(args):
    for p in (args.a, args.b):
        if not os.path.exists(p):
            raise UsageError(f"no such file: {p}")
    a, b = _read_json(args.a, "result"), _read_json(args.b, "result")
    if not isinstance(a, dict) or not isinstance(b, dict):
        raise UsageError("results must be JSON objects {loss, lr, grad_norm}")
    failures = compare_train(a, b, args.loss_atol, args.lr_rtol, args.grad_norm_rtol)
    n = len(a["loss"])
    if failures:
        print(f"FAIL: {len(failures)} of {n} steps out of tolerance: "
              + ", ".join(map(str, failures)))
        return 1
    print(f"PASS: all {n} steps within tolerance")
    return 0


# ----------------------------------------------------------------------------


def build_parser():
    p = argparse.ArgumentParser(prog="reference_cli.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("init", help="random GPT-2/Megatron-initialised HF checkpoint dir")
    s.add_argument("--config", required=True, help="HF-style config.json")
    s.add_argument("--seed", required=True, type=int)
    s.add_argument("--out", required=True, help="output dir (config.json, model.safetensors)")
    s.set_defaults(fn=cmd_init)

    s = sub.add_parser("run", help="forward+backward; writes logits, loss, grad.<name>")
    s.add_argument("--model", required=True, help="dir with config.json and model.safetensors")
    s.add_argument("--batch", required=True, help="BATCH.json {input_ids, targets, doc_ids?}")
    s.add_argument("--out", required=True, help="OUT.safetensors")
    s.add_argument("--dtype", choices=sorted(DTYPES), default="float32",
                   help="compute dtype (outputs are always stored f32)")
    s.set_defaults(fn=cmd_run)

    s = sub.add_parser("compare", help="compare two run outputs; exit 0 iff within tolerance")
    s.add_argument("--a", required=True, help="output under test")
    s.add_argument("--b", required=True, help="reference output (denominator of rel)")
    s.add_argument("--logits-atol", type=float, default=1e-4)
    s.add_argument("--loss-atol", type=float, default=1e-5)
    s.add_argument("--grad-rtol", type=float, default=1e-4, help=REL_DEF)
    s.set_defaults(fn=cmd_compare)

    s = sub.add_parser("batch", help="random batch JSON")
    s.add_argument("--config", required=True)
    s.add_argument("--seed", required=True, type=int)
    s.add_argument("--batch-size", required=True, type=int)
    s.add_argument("--seq-len", required=True, type=int)
    s.add_argument("--out", required=True)
    s.add_argument("--docs", action="store_true", help="several documents per row")
    s.set_defaults(fn=cmd_batch)

    s = sub.add_parser("batches", help="N random micro-batches (BATCHES.json for train)")
    s.add_argument("--config", required=True)
    s.add_argument("--seed", required=True, type=int)
    s.add_argument("--batch-size", required=True, type=int)
    s.add_argument("--seq-len", required=True, type=int)
    s.add_argument("--count", required=True, type=int, help="number of micro-batches")
    s.add_argument("--out", required=True)
    s.add_argument("--docs", action="store_true", help="several documents per row")
    s.set_defaults(fn=cmd_batches)

    s = sub.add_parser("train", help="AdamW steps with schedule, grad accumulation, clipping; "
                                     "writes per-step loss, lr, grad_norm")
    s.add_argument("--model", required=True, help="dir with config.json and model.safetensors")
    s.add_argument("--batches", required=True, help='BATCHES.json {"micro_batches": [...]}')
    s.add_argument("--opt", required=True, help="OPT.json (optimizer settings; {} = defaults)")
    s.add_argument("--out", required=True, help="RESULT.json")
    s.add_argument("--dtype", choices=sorted(DTYPES), default="float32",
                   help="compute and optimizer-state dtype")
    s.add_argument("--save", help="write the final weights (F32) as an HF model dir here")
    s.set_defaults(fn=cmd_train)

    s = sub.add_parser("compare-train", help="compare two train results; exit 0 iff within "
                                             "tolerance")
    s.add_argument("--a", required=True, help="result under test")
    s.add_argument("--b", required=True, help="reference result")
    s.add_argument("--loss-atol", type=float, default=1e-4)
    s.add_argument("--lr-rtol", type=float, default=1e-9)
    s.add_argument("--grad-norm-rtol", type=float, default=1e-3)
    s.set_defaults(fn=cmd_compare_train)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
