#!/usr/bin/env bash
# Data parallelism on this machine (issue 8): `mpirun -np 2 seek train` on
# the benchmark model (gpt2, vocab 8192, hidden 384, 6 layers, 6 heads,
# sequence 256, global batch 8 = 4 rows per rank, fp32, one thread per rank)
# with the gradient all-reduce overlapped with backward and not, and one
# process on both cores as the anchor. Prints, per run, tokens/s and the
# all-reduce wait that backward did not hide (median ms/step over the steps
# after the first two), and the share of the all-reduce hidden by overlap:
#   hidden = 1 - exposed(overlap on) / exposed(overlap off)
# (with overlap off every byte is exposed: the whole all-reduce time).
#   bash bench/dp_overlap.sh [build-dir] [steps] [bucket MB]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-12}
bucket=${3:-4}
ninja -C "$build" seek make_random_shard >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bench/make_random_shard" "$work/shard.bin" 8192 600
echo "$(date -u '+%F %T UTC') $(uptime)"

run() {  # NAME RANKS OVERLAP -> "tokens/s exposed_ms"
  local name=$1 ranks=$2 overlap=$3
  cat > "$work/$name.json" <<JSON
{"model": {"model_type": "gpt2", "vocab_size": 8192, "n_positions": 256, "n_embd": 384, "n_layer": 6, "n_head": 6},
 "data": {"shards": ["$work/shard.bin"], "val_fraction": 0.0},
 "optim": {"lr": 1e-4, "warmup_steps": 2},
 "train": {"batch_size": 8, "seq_len": 256, "max_steps": $steps, "log_every": 1, "eval_every": 0,
           "sample_tokens": 0, "checkpoint_every": 0, "dp_overlap": $overlap, "dp_bucket_mb": $bucket}}
JSON
  if [ "$ranks" -gt 1 ]; then
    mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$build/seek" train --config "$work/$name.json" \
      --out "$work/$name" > "$work/$name.log" 2>&1
  else
    "$build/seek" train --config "$work/$name.json" --out "$work/$name" > "$work/$name.log" 2>&1
  fi
  /usr/bin/python3 - "$work/$name/metrics.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(x) for x in open(sys.argv[1]) if "tokens_per_s" in x][2:]
tps = statistics.median(r["tokens_per_s"] for r in rows)
exposed = statistics.median(r.get("exposed_comm_s", 0) for r in rows) * 1e3
print(f"{tps:.1f} {exposed:.1f}")
PY
}

read -r one _ < <(run one 1 true)
read -r off off_ms < <(run off 2 false)
read -r on on_ms < <(run on 2 true)
echo "one process, 2 threads:        $one tokens/s"
echo "dp=2, overlap off:             $off tokens/s, all-reduce $off_ms ms/step (all exposed)"
echo "dp=2, overlap on (${bucket} MB buckets): $on tokens/s, exposed $on_ms ms/step"
/usr/bin/python3 -c "
off, on = $off_ms, $on_ms
print(f'hidden under backward: {100 * (1 - on / off):.0f}% of the all-reduce' if off > 0 else 'no all-reduce time measured')
print(f'dp=2 vs one process: {$on / $one:.2f}x tokens/s (same two cores)')"
