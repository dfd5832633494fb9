#!/usr/bin/env bash
# Load benchmark of `seek serve` over loopback, with the engine's offline speed
# measured in the same run as the anchor. The model is engine_bench's: a Llama
# shaped like configs/kjv.json (3 layers, hidden 192, 4 heads, byte vocabulary,
# 1,024 positions), weights from one training step on a random shard (speed
# does not depend on the values). 1, 4 and 16 concurrent streaming clients
# (bench/serve_load.mjs), 32-id prompts, 128 new tokens, greedy, ignore_eos.
# Three passes over the levels (each level sees the same drifting machine):
# per level the median pass's tokens/s, TTFT and inter-token latency over all
# requests. Prints them, the 16/1 ratio
# (target >= 4) and single-stream decode vs `seek generate` (target within 10%).
#   bash bench/serve_load.sh [build-dir] [rounds]   (THREADS=N: the engine's OpenMP threads, default 1)
# One engine thread by default: on this 2-core machine the other core runs the
# HTTP side and the clients, and a 2-thread decode step of a model this small
# loses far more to OpenMP barriers than it gains (100x slower when the machine
# has other work: 21 vs 2,100 tokens/s).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-5}
threads=${THREADS:-1}
tokens=128
ninja -C "$build" seek engine_bench make_random_shard >/dev/null
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "load before: $(uptime)"

"$build/bench/make_random_shard" "$work/shard.bin" 257 40
cat > "$work/cfg.json" <<JSON
{"model": {"model_type": "llama", "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4,
           "hidden_size": 192, "intermediate_size": 512, "max_position_embeddings": 1024},
 "data": {"shards": ["$work/shard.bin"], "val_fraction": 0.0},
 "train": {"batch_size": 2, "seq_len": 64, "max_steps": 1, "eval_every": 0, "sample_tokens": 0,
           "checkpoint_every": 1, "log_every": 1}}
JSON
"$build/seek" train --config "$work/cfg.json" --out "$work/run" >/dev/null
mv "$work/run/checkpoints/step_00000001" "$work/bench-llama"
model="$work/bench-llama"
ids=$(/usr/bin/python3 -c "import random; random.seed(5); print(' '.join(str(random.randrange(256)) for _ in range(32)))")

"$build/bench/engine_bench" --config "$model/config.json" --tokens $tokens --threads "$threads" |
  tee "$work/engine.txt" | sed 's/^/  /'
"$build/seek" serve --model "$model" --http-port 0 --grpc-port 0 --max-batch 16 --threads "$threads" \
  > "$work/serve.out" 2> "$work/serve.err" &
server_pid=$!
for _ in $(seq 1 300); do grep -q '^seek serve: ready' "$work/serve.out" && break; sleep 0.1; done
ready=$(grep -m1 '^seek serve: ready' "$work/serve.out") || { cat "$work/serve.err"; exit 1; }
http=$(grep -oE ' http=[^ ]+' <<<"$ready" | cut -d= -f2)
name=$(grep -oE ' model=[^ ]+' <<<"$ready" | cut -d= -f2)
load() { node bench/serve_load.mjs "http://$http" "$name" --prompt-len 32 --max-tokens $tokens --vocab 256 "$@"; }

# Single stream vs the engine alone, interleaved 5 times so that both see the same
# machine; medians. Wall clock: `seek generate` (one request, same prompt length and
# settings). On a shared machine wall-clock rates mostly measure the scheduler (a
# server that slept between requests gets the CPU first), so CPU time per token too:
# engine_bench's batch 1 (its stepping thread's CPU time over the decode steps) vs
# the server's threads' CPU time (/proc/PID/task/*/schedstat) over 3 requests after
# a warm-up one (serve_load.mjs --server-pid), which
# also holds their 3 prefills of 32 tokens and all of the HTTP work.
for _ in 1 2 3 4 5; do
  wall=$("$build/seek" generate --model "$model" --prompt-ids "$ids" --max-tokens $tokens --temperature 0 \
         --ignore-eos --threads "$threads" 2>&1 >/dev/null | sed -nE 's/.* ([0-9.]+) tokens\/s decode.*/\1/p')
  cpu=$("$build/bench/engine_bench" --config "$model/config.json" --tokens $tokens --threads 1 |
        sed -nE 's/^batch +1:.* ([0-9]+) tokens per CPU second/\1/p')
  echo "$wall $cpu" >> "$work/offline.txt"
  load --concurrency 1 --rounds 3 --server-pid "$server_pid" 2>/dev/null > "$work/one.jsonl"
  /usr/bin/python3 -c "import json; r = json.load(open('$work/one.jsonl'))
print(r['stream_decode_tps'], r['tokens'] / r['server_cpu_s'])" >> "$work/single.txt"
done
load --concurrency 1,4,16 --rounds "$rounds" --repeat 3 --server-pid "$server_pid" > "$work/load.jsonl"
echo "load after: $(uptime)"
/usr/bin/python3 - "$work" <<'PY'
import json, re, statistics, sys
w = sys.argv[1]
rows = {r["concurrency"]: r for r in map(json.loads, open(f"{w}/load.jsonl"))}
offline = [list(map(float, l.split())) for l in open(f"{w}/offline.txt")]
single = [list(map(float, l.split())) for l in open(f"{w}/single.txt")]
one, six = rows[1], rows[16]
print(f"aggregate(16) / aggregate(1) = {six['tokens_per_s']:.0f} / {one['tokens_per_s']:.0f} = "
      f"{six['tokens_per_s'] / one['tokens_per_s']:.2f}x (target >= 4)")
med = lambda rows, i: statistics.median(r[i] for r in rows)
# The server's CPU per token under load vs the engine's own at the same batch (engine_bench,
# --threads 1), HTTP threads included: the serving overhead, steady on a shared machine.
engine_cpu = {}
for line in open(f"{w}/engine.txt"):
    m = re.match(r"batch +(\d+):.* (\d+) tokens per CPU second", line)
    if m: engine_cpu[int(m.group(1))] = float(m.group(2))
for n, r in rows.items():
    s = r["tokens"] / r["server_cpu_s"]
    e = engine_cpu.get(n)
    print(f"{n:2d} clients: server {s:.0f} tokens per CPU second" +
          (f" vs engine_bench batch {n} {e:.0f} ({100 * (s / e - 1):+.1f}%)" if e else ""))
for i, what, anchor in ((0, "decode tokens/s (wall)", "seek generate"),
                        (1, "tokens per CPU second", "engine_bench batch 1")):
    s, o = med(single, i), med(offline, i)
    print(f"single stream, {what}, median of 5 interleaved: server {s:.0f} vs {anchor} {o:.0f}: "
          f"{100 * (s / o - 1):+.1f}% (target within 10%)")
    print("    server:", " ".join(f"{r[i]:.0f}" for r in single), f"  {anchor}:", " ".join(f"{r[i]:.0f}" for r in offline))
PY
