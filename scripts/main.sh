#!/usr/bin/env bash
# Seek's main job on the bundled default corpus: set up, run the data
# pipeline over the multi-source corpus, train a byte-level
# BPE tokenizer on the King James Bible, cut it into token shards with that
# tokenizer, train a small Llama-family model on them for a few minutes on two
# cores, and print samples and the path of the loss plot. The run directory
# is runs/kjv-<time>; its checkpoints carry tokenizer.json, so they are
# complete Hugging Face model folders. (Byte-level shards instead: drop
# --tokenizer from the shards line.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The data pipeline on the multi-source corpus (books, quotes in 13 languages,
# /usr/share/doc): normalisation, language ID, dedup, quality filters, PII; a table and report.png of what
# each stage kept (docs/data.md), and byte-level token shards of what it kept
# (data/pipeline/default/shards). The model below trains on the KJV.
[ -s data/langid/langid.bin ] || build/seek data langid train --input data/raw/quotes --out data/langid/langid.bin
build/seek data run configs/data_default.json
build/seek tokenizer train --input data/raw/kjv.txt --vocab-size 4096 --out data/tokenizers/kjv
build/seek shards --input data/raw/kjv.txt --out data/shards/kjv --tokenizer data/tokenizers/kjv
run="runs/kjv-$(date +%Y%m%d-%H%M%S)"
build/seek train --config configs/kjv.json --out "$run"
model="$run/checkpoints/step_00001500"

# Serve the final checkpoint for a moment and ask it one question through the
# OpenAI-compatible API, as any client would.
out=$(mktemp)
build/seek serve --model "$model" --http-port 0 --grpc-port 0 >"$out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q "ready" "$out" && break; sleep 0.1; done
cat "$out"
url="http://$(grep -o 'http=[^ ]*' "$out" | cut -d= -f2)"
name=$(grep -o 'model=[^ ]*' "$out" | cut -d= -f2)
echo "POST $url/v1/completions  {\"prompt\": \"And God said\", \"max_tokens\": 40}"
curl -sS "$url/v1/completions" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$name\", \"prompt\": \"And God said\", \"max_tokens\": 40, \"seed\": 1}" | python3 -m json.tool
kill $server; wait $server 2>/dev/null || true

echo
echo "Serve it:      build/seek serve --model $model   (OpenAI API on http://127.0.0.1:8000/v1, gRPC on :50051; docs/serving.md)"
echo "Sample more:   build/seek sample --model $run/checkpoints/step_00001500 --prompt 'In the beginning'"
echo "Loss curve:    $run/loss.png   (redraw: build/seek plot $run)"
