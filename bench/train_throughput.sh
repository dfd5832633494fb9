#!/usr/bin/env bash
# Training throughput, Seek vs PyTorch side by side in the same run (issues 3
# and 6): gpt2 family, vocab 8192, hidden 384, 6 layers, 6 heads, sequence
# 256, batch 8, AdamW with clipping. Seek runs `seek train` on a synthetic
# shard in fp32 and bf16 (and a llama-family model of the same size in bf16);
# PyTorch runs a nanoGPT-style model (bench/model_step_torch.py --adamw) in
# f32 and with bf16 autocast, both threads, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE
# unset. Prints tokens/s, the ratios and Seek's MFU (against the GEMM rate of
# the run's precision, measured by `seek train` at start-up).
# Both sides report the median step: PyTorch the median of 5 timed steps after
# a warm-up step, Seek the median of its per-step rates after step 1 (which
# creates the oneDNN primitives). The VM's speed drifts by tens of percent
# from minute to minute, so the whole comparison runs ROUNDS times (default
# 2), interleaved, and the ratio is also given per round. Each round also
# times every bf16 multiply of one training step in isolation (gemm_bench's
# BM_GemmBf16, when Google Benchmark is installed) and gives Seek's bf16 MFU
# against that same-run rate of oneDNN at the model's own shapes: 100% would
# be a step that is nothing but its GEMMs. And each round measures the CPU's
# arithmetic peaks (bench/cpu_peak: f32 FMA, bf16 dot product) and says what
# share of them the issue's ratio targets (3x PyTorch f32, 2.8x autocast)
# would need, counting the model FLOPs as the trainer does.
#   bash bench/train_throughput.sh [build-dir] [steps] [precisions, default "fp32 bf16"] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-20}
precisions=${3:-fp32 bf16}
rounds=${4:-2}
ninja -C "$build" seek make_random_shard cpu_peak $(ninja -C "$build" -t targets all | grep -q "^gemm_bench:" && echo gemm_bench) >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bench/make_random_shard" "$work/shard.bin" 8192 600
echo "$(date -u '+%F %T UTC') $(uptime)"

# seek_run FAMILY PRECISION -> "tokens/s mfu%"
seek_run() {
  local family=$1 precision=$2 model
  if [ "$family" = gpt2 ]; then
    model='"model_type": "gpt2", "vocab_size": 8192, "n_positions": 256, "n_embd": 384, "n_layer": 6, "n_head": 6'
  else
    model='"model_type": "llama", "vocab_size": 8192, "max_position_embeddings": 256, "hidden_size": 384,
           "intermediate_size": 1024, "num_hidden_layers": 6, "num_attention_heads": 6, "num_key_value_heads": 6'
  fi
  cat > "$work/config.json" <<JSON
{"model": {$model},
 "data": {"shards": ["$work/shard.bin"], "val_fraction": 0.0},
 "optim": {"lr": 1e-4, "warmup_steps": 2},
 "train": {"batch_size": 8, "seq_len": 256, "max_steps": $steps, "log_every": 1,
           "eval_every": 0, "sample_tokens": 0, "checkpoint_every": 0, "precision": "$precision"}}
JSON
  rm -rf "$work/run"
  "$build/seek" train --config "$work/config.json" --out "$work/run" | grep -E "^step|seek train" >&2
  /usr/bin/python3 -c "
import json
import statistics as st
l = [json.loads(x) for x in open('$work/run/metrics.jsonl') if 'tokens_per_s' in x]
l = [x for x in l if x['step'] >= 2] or l
print(f\"{st.median(x['tokens_per_s'] for x in l):.1f} {100 * st.median(x['mfu'] for x in l):.1f}\")"
}

torch_run() {  # ARGS... -> tokens/s
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/model_step_torch.py \
    --adamw --threads "$(nproc)" --steps 5 "$@" | tee /dev/stderr | sed -n 's/RESULT torch_tokens_per_s=//p'
}

# gemm_mix TOKENS_PER_S: the bf16 GEMMs of one step (6 blocks x 12 shapes,
# the LM head x 3) timed alone now, and the MFU of a bf16 run at TOKENS_PER_S
# against their rate (model FLOPs as the trainer counts them).
gemm_mix() {
  "$build/bench/gemm_bench" --benchmark_filter=BM_GemmBf16 --benchmark_min_time=0.2 \
    --benchmark_format=json 2>/dev/null > "$work/gemm.json"
  /usr/bin/python3 - "$1" "$work/gemm.json" <<'PY'
import json, sys
tps, runs = float(sys.argv[1]), json.load(open(sys.argv[2]))["benchmarks"]
shape = lambda b: tuple(int(x.split(":")[1]) for x in b["name"].split("/")[1:6])
ms = {shape(b): b["real_time"] for b in runs}  # milliseconds
square = ms.pop((0, 0, 1024, 1024, 1024))
lm = [k for k in ms if 8192 in k[2:]]
step_ms = sum(6 * t for k, t in ms.items() if k not in lm) + sum(ms[k] for k in lm)
step_flop = sum((6 if k not in lm else 1) * 2.0 * k[2] * k[3] * k[4] for k in ms)
C, L, V, T = 384, 6, 8192, 256
model_flop = 6 * (L * 12 * C * C + V * C) + 6 * L * T * C  # per token (TrainingFlopsPerToken)
rate = step_flop / step_ms / 1e6
print(f"  bf16 GEMMs of one step alone: {step_ms:.0f} ms = {rate:.0f} GFLOP/s (1024^3: {2 * 1024**3 / square / 1e6:.0f}); "
      f"a GEMM-only step would give {2048 / step_ms * 1e3:.0f} tokens/s; "
      f"MFU against the step's GEMM rate {100 * tps * model_flop / (rate * 1e9):.1f}%")
PY
}

for round in $(seq "$rounds"); do
  echo "== round $round of $rounds"
  torch_f32=$(torch_run --autocast none)
  torch_bf16=$(torch_run --autocast bf16)
  echo "torch f32 $torch_f32 tokens/s, bf16 autocast $torch_bf16 tokens/s"
  peaks=$("$build/bench/cpu_peak" | sed -n 's/RESULT //p')
  /usr/bin/python3 - "$torch_f32" "$torch_bf16" $peaks <<'PY'
import sys
f32, bf16 = float(sys.argv[1]), float(sys.argv[2])
peak = dict(x.split("=") for x in sys.argv[3:])
C, L, V, T = 384, 6, 8192, 256
model_flop = 6 * (L * 12 * C * C + V * C) + 6 * L * T * C  # per token (TrainingFlopsPerToken)
for name, ratio, base, key in (("3x torch f32", 3.0, f32, "f32_fma_gflops"),
                               ("2.8x torch bf16 autocast", 2.8, bf16, "bf16_dot_gflops")):
    need = ratio * base * model_flop / 1e9
    top = float(peak[key])
    share = f"{100 * need / top:.0f}% of" if top > 0 else "(no peak measured for)"
    print(f"  target {name}: {ratio * base:.0f} tokens/s = {need:.0f} GFLOP/s = {share} the CPU's {key} {top:.0f}")
PY
  for p in $precisions; do
    read -r tps mfu < <(seek_run gpt2 "$p")
    anchor=$torch_f32; what="torch f32"
    if [ "$p" = bf16 ]; then anchor=$torch_bf16; what="torch bf16 autocast"; fi
    /usr/bin/python3 -c "print(f'round $round seek gpt2 $p: {$tps:.0f} tokens/s (MFU $mfu%)  vs $what {$anchor:.0f}: {$tps/$anchor:.2f}x')"
    if [ "$p" = bf16 ] && [ -x "$build/bench/gemm_bench" ]; then gemm_mix "$tps"; fi
  done
  read -r tps mfu < <(seek_run llama bf16)
  echo "round $round seek llama bf16: $tps tokens/s (MFU $mfu%)"
done
echo "$(date -u '+%F %T UTC') $(uptime)"
