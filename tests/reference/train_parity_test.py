#!/usr/bin/python3
"""Seek's trainer step vs the PyTorch training oracle (torch_train.py).

For the tiny gpt2, llama (GQA) and tied llama configs: 10 AdamW steps with
linear warmup + cosine decay, gradient accumulation 2 (the loss normalised by
the target tokens of both micro-batches) and global-norm clipping that bites,
from one checkpoint and the same packed batches. Every step's loss must match
to 1e-4 (issue 3); the learning rates must agree exactly and the pre-clip
gradient norms to 1e-3 relative.

usage: train_parity_test.py --driver PATH/seek_ref_driver --work DIR [--seed S]
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REF = [sys.executable, os.path.join(HERE, "reference_cli.py")]
CONFIGS = ["gpt2_tiny.json", "llama_tiny.json", "llama_tiny_tied.json"]
OPT = {"lr": 5e-3, "min_lr": 5e-4, "warmup_steps": 3, "total_steps": 10, "schedule": "cosine",
       "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "grad_clip": 0.5,
       "grad_accum": 2}


import ref_common
from ref_common import run


def main():
    args, seed = ref_common.parity_args("train parity")
    opt = os.path.join(args.work, "opt.json")
    with open(opt, "w") as f:
        json.dump(OPT, f)
    failed = []
    for i, name in enumerate(CONFIGS):
        cfg = os.path.join(HERE, "configs", name)
        w = os.path.join(args.work, name.replace(".json", ""))
        os.makedirs(w)
        model, batches = os.path.join(w, "model"), os.path.join(w, "batches.json")
        a, b = os.path.join(w, "seek.json"), os.path.join(w, "torch.json")
        steps = [
            REF + ["batches", "--config", cfg, "--seed", str(seed + i), "--batch-size", "2",
                   "--seq-len", "33", "--count", "20", "--docs", "--out", batches],
            [args.driver, "init", "--config", cfg, "--seed", str(seed + 11 * i), "--out", model],
            [args.driver, "train", "--model", model, "--batches", batches, "--opt", opt, "--out", a],
            REF + ["train", "--model", model, "--batches", batches, "--opt", opt, "--out", b,
                   "--dtype", "float64"],
            REF + ["compare-train", "--a", a, "--b", b, "--loss-atol", "1e-4"],
        ]
        for cmd in steps:
            rc, out = run(cmd)
            if "compare-train" in cmd:
                print(f"== {name}\n{out.rstrip()}")
            if rc != 0:
                if "compare-train" not in cmd:
                    print(f"$ {' '.join(cmd)}\n{out}")
                failed.append(f"{name}: {cmd[2] if cmd[0] == sys.executable else cmd[1]} exit {rc}")
                break
    if failed:
        print("FAILED:\n  " + "\n  ".join(failed) + f"\n(seed {seed})")
        return 1
    print(f"all training parity checks passed (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
