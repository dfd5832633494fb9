#!/usr/bin/env bash
# Training throughput, Seek vs PyTorch side by side in the same run (issue 3):
# gpt2 family, vocab 8192, hidden 384, 6 layers, 6 heads, sequence 256,
# batch 8, f32, AdamW with clipping. Seek runs `seek train` on a synthetic
# shard; PyTorch runs a nanoGPT-style model (bench/model_step_torch.py
# --adamw) with both threads and OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset.
# Prints tokens/s for both, the ratio and Seek's MFU.
#   bash bench/train_throughput.sh [build-dir] [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-20}
ninja -C "$build" seek make_random_shard >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bench/make_random_shard" "$work/shard.bin" 8192 600
cat > "$work/config.json" <<JSON
{"model": {"model_type": "gpt2", "vocab_size": 8192, "n_positions": 256, "n_embd": 384,
           "n_layer": 6, "n_head": 6},
 "data": {"shards": ["$work/shard.bin"], "val_fraction": 0.0},
 "optim": {"lr": 1e-4, "warmup_steps": 2},
 "train": {"batch_size": 8, "seq_len": 256, "max_steps": $steps, "log_every": $steps,
           "eval_every": 0, "sample_tokens": 0, "checkpoint_every": 0}}
JSON
"$build/seek" train --config "$work/config.json" --out "$work/run" | grep -E "^step|seek train"
seek_tps=$(/usr/bin/python3 -c "
import json
lines=[json.loads(l) for l in open('$work/run/metrics.jsonl')]
print([l for l in lines if 'tokens_per_s' in l][-1]['tokens_per_s'])")
seek_mfu=$(/usr/bin/python3 -c "
import json
lines=[json.loads(l) for l in open('$work/run/metrics.jsonl')]
print(100*[l for l in lines if 'mfu' in l][-1]['mfu'])")
torch_out=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/model_step_torch.py \
  --adamw --threads "$(nproc)" --steps 5)
echo "$torch_out" | grep -v RESULT
torch_tps=$(echo "$torch_out" | sed -n 's/RESULT torch_tokens_per_s=//p')
/usr/bin/python3 -c "print(f'seek {$seek_tps:.0f} tokens/s (MFU {$seek_mfu:.1f}%)  torch {$torch_tps:.0f} tokens/s  ratio seek/torch = {$seek_tps/$torch_tps:.2f}x')"
