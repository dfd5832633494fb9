#!/usr/bin/env bash
# Seek's main job on the bundled default corpus: set up, train a byte-level
# BPE tokenizer on the King James Bible, cut it into token shards with that
# tokenizer, train a small Llama-family model on them for a few minutes on two
# cores, and print samples and the path of the loss plot. The run directory
# is runs/kjv-<time>; its checkpoints carry tokenizer.json, so they are
# complete Hugging Face model folders. (Byte-level shards instead: drop
# --tokenizer from the shards line.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build/seek tokenizer train --input data/raw/kjv.txt --vocab-size 4096 --out data/tokenizers/kjv
build/seek shards --input data/raw/kjv.txt --out data/shards/kjv --tokenizer data/tokenizers/kjv
run="runs/kjv-$(date +%Y%m%d-%H%M%S)"
build/seek train --config configs/kjv.json --out "$run"
echo
echo "Sample more:   build/seek sample --model $run/checkpoints/step_00001500 --prompt 'In the beginning'"
echo "Loss curve:    $run/loss.png   (redraw: build/seek plot $run)"
