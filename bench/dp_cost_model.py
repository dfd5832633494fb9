#!/usr/bin/env python3
"""Data-parallel scaling cost model (issue 8; docs/distributed.md).

Per step, each of p ranks computes on its own tokens for
    T_compute = tokens_per_rank / tokens_per_s_per_rank
and the gradients (N bytes) are summed with a ring all-reduce:
    T_allreduce = 2 (p - 1) * latency + 2 (p - 1) / p * N / bandwidth
Weak scaling (each rank keeps its batch). Predicted efficiency, the share of
a step that is useful compute:
    no overlap:         T_compute / (T_compute + T_allreduce)
    with overlap:       T_compute / (T_compute + exposed)
    exposed = max((1 - h) * T_allreduce, T_allreduce - T_backward)
where h is the share of the all-reduce hidden under backward, as measured by
bench/dp_overlap.sh (docs/BENCHMARKS.md; it cannot reach 1, since the last
bucket, the embedding's gradient, is final only when backward ends), and no
more can hide than backward lasts: T_backward = 2/3 T_compute (two of a
step's three matmul passes).

  python3 bench/dp_cost_model.py --hidden H [--model NAME:PARAMS:TOKENS_PER_S] [--tokens-per-rank T]
"""
import argparse

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--model", action="append", default=[],
                help="NAME:PARAMS:TOKENS_PER_S (repeatable); default: the two benchmark models")
ap.add_argument("--tokens-per-rank", type=int, default=8 * 256, help="tokens per rank per step")
ap.add_argument("--grad-bytes", type=int, default=4, help="bytes per gradient element (4: f32)")
ap.add_argument("--hidden", type=float, required=True,
                help="share of the all-reduce hidden under backward (bench/dp_overlap.sh)")
args = ap.parse_args()

models = args.model or [
    # measured on this machine (docs/BENCHMARKS.md): Seek bf16 tokens/s, one process on 2 cores
    "gpt2-bench:13.9e6:4416",
    "llama-bench:16.9e6:3883",
]
networks = [("10 GbE", 1.25e9, 30e-6), ("100 Gb/s InfiniBand", 12.5e9, 3e-6), ("NVLink-class 300 GB/s", 300e9, 2e-6)]
print(f"tokens per rank per step {args.tokens_per_rank}, gradients {args.grad_bytes} B/element, hidden {args.hidden}")
print("| model | network | ranks | T_compute ms | T_allreduce ms | efficiency, no overlap | with overlap |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for m in models:
    name, params, tps = m.split(":")
    params, tps = float(params), float(tps)
    n_bytes = params * args.grad_bytes
    t_c = args.tokens_per_rank / tps
    for net, bw, lat in networks:
        for p in (8, 64, 512):
            t_ar = 2 * (p - 1) * lat + 2 * (p - 1) / p * n_bytes / bw
            e0 = t_c / (t_c + t_ar)
            exposed = max((1 - args.hidden) * t_ar, t_ar - 2 / 3 * t_c)
            e1 = t_c / (t_c + exposed)
            print(f"| {name} ({params / 1e6:.1f}M) | {net} | {p} | {1e3 * t_c:.0f} | {1e3 * t_ar:.1f} | "
                  f"{100 * e0:.1f}% | {100 * e1:.1f}% |")
