#!/usr/bin/env bash
# Seek's main job on the bundled default corpus: set up, cut the King James
# Bible into token shards, train a small Llama-family model on them for about
# four minutes on two cores, and print samples and the path of the loss plot.
# The run directory is runs/kjv-<time>.
#
# Tokenizer: the shards are byte-level until `seek tokenizer train` lands.
# Then the switch is two lines: train a BPE tokenizer on the corpus before
# sharding, and shard with it (the trainer takes the vocabulary, samples and
# checkpoint tokenizer files from the shard folder; configs/kjv.json stays):
#   build/seek tokenizer train --input data/raw/kjv.txt --vocab-size 4096 --out data/tokenizers/kjv
#   build/seek shards --input data/raw/kjv.txt --out data/shards/kjv --tokenizer data/tokenizers/kjv
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build/seek shards --input data/raw/kjv.txt --out data/shards/kjv
run="runs/kjv-$(date +%Y%m%d-%H%M%S)"
build/seek train --config configs/kjv.json --out "$run"
echo
echo "Sample more:   build/seek sample --model $run/checkpoints/step_00001500 --prompt 'In the beginning'"
echo "Loss curve:    $run/loss.png   (redraw: build/seek plot $run)"
