# Shell helpers of the `mpirun seek train` tests (sourced; $seek must be set).

# A fresh random corpus of word-like documents in text.txt, one shard in shards/.
random_corpus() {
  /usr/bin/python3 - <<'PY'
import random
rng = random.Random()
words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 6))) for _ in range(300)]
with open("text.txt", "w") as f:
    for _ in range(600):
        f.write(" ".join(rng.choice(words) for _ in range(rng.randint(5, 30))) + ".\n")
PY
  "$seek" shards --input text.txt --out shards --doc-lines 4 >/dev/null
}

# train_config NAME EXTRA_TRAIN_KEYS: a tiny gpt2 on that shard.
train_config() {
  cat > "$1" <<JSON
{"model": {"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 32, "n_positions": 32},
 "data": {"shards": ["shards/shard_00000.bin"], "val_fraction": 0.1},
 "optim": {"lr": 3e-3, "warmup_steps": 3},
 "train": {"batch_size": 4, "seq_len": 32, "grad_accum": 2, "max_steps": 12, "log_every": 1,
           "eval_every": 6, "eval_batches": 2, "sample_tokens": 0, "checkpoint_every": 6,
           "threads": 1 $2}}
JSON
}

# rank_pid N CONFIG: the process of rank N of the running `seek train --config CONFIG` job.
rank_pid() {
  for p in $(pgrep -f "$seek train --config $2"); do
    tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo $p; return; }
  done
}

# wait_for PATTERN FILE SECONDS: until FILE has a line matching PATTERN.
wait_for() { for _ in $(seq 1 $((5 * $3))); do grep -qE "$1" "$2" 2>/dev/null && return 0; sleep 0.2; done; return 1; }
