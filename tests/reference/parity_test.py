#!/usr/bin/python3
"""Seek vs the PyTorch oracle: logits, loss and every parameter gradient.

For each tiny config (gpt2, llama with GQA, llama tied) and fresh seeds:
  1. a checkpoint initialised by Seek is run by both Seek and PyTorch (so it
     loads in PyTorch by HF names) and the outputs are compared;
  2. a checkpoint initialised by PyTorch is run by both (so it loads in Seek).
Batches are packed from several documents of different lengths.
Tolerances (issue 2): logits max abs <= 1e-4, loss <= 1e-5, each gradient's
max relative error <= 1e-4 (max|a-b| / max|ref|).

usage: parity_test.py --driver PATH/seek_ref_driver --work DIR [--seed S]
"""
import os
import sys

import ref_common

HERE = os.path.dirname(os.path.abspath(__file__))
REF = [sys.executable, os.path.join(HERE, "reference_cli.py")]
CONFIGS = ["gpt2_tiny.json", "llama_tiny.json", "llama_tiny_tied.json"]


def run(cmd):
    rc, out = ref_common.run(cmd)
    if rc != 0:
        print(f"$ {' '.join(cmd)}\n{out}")
    return rc, out


def main():
    args, seed = ref_common.parity_args("parity")
    failures = []
    for i, name in enumerate(CONFIGS):
        cfg = os.path.join(HERE, "configs", name)
        w = os.path.join(args.work, name.replace(".json", ""))
        os.makedirs(w)
        batch = os.path.join(w, "batch.json")
        steps = [REF + ["batch", "--config", cfg, "--seed", str(seed + i), "--batch-size", "3",
                        "--seq-len", "61", "--docs", "--out", batch]]
        for origin in ("seek", "torch"):
            d = os.path.join(w, f"init_{origin}")
            init = [args.driver] if origin == "seek" else REF
            steps.append(init + ["init", "--config", cfg, "--seed", str(seed + 7 * i + 1),
                                 "--out", d])
            a, b = os.path.join(w, f"{origin}_seek.st"), os.path.join(w, f"{origin}_torch.st")
            steps.append([args.driver, "run", "--model", d, "--batch", batch, "--out", a])
            steps.append(REF + ["run", "--model", d, "--batch", batch, "--out", b])
            steps.append(REF + ["compare", "--a", a, "--b", b])
        for cmd in steps:
            rc, out = run(cmd)
            if "compare" in cmd:
                lines = out.splitlines()
                grads = [l for l in lines if l.startswith("grad.")]
                worst = max(grads, key=lambda l: float(l.split()[3])) if grads else ""
                print(f"== {name}: checkpoint from {os.path.basename(cmd[-3]).split('_')[0]}")
                print("\n".join(l for l in lines[1:4]) + "\nworst gradient:\n" + worst)
                print(lines[-1])
            if rc != 0:
                failures.append(f"{name}: {' '.join(cmd[1:3])} exit {rc}")
                break
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures) + f"\n(seed {seed})")
        return 1
    print(f"all parity checks passed (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
