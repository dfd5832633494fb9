#!/usr/bin/env bash
# Stress of the hung-rank path, run by hand (not part of the suite: ~10 s a
# job). `mpirun -np 2 seek train` N times, each with rank 1 stopped (SIGSTOP)
# at a random moment after the first checkpoint, so the other rank's timeout
# lands in a different collective each time; every job must end within 40 s
# with "no answer from rank 1". Extra flags go to `seek train` (--pp 2, --tp 2).
# Before commit c59b965, 2 of 8 jobs hung forever in the cleanup of the
# timed-out request.
#   bash tests/dist/hung_rank_stress.sh build/seek 16 [--pp 2]
set -uo pipefail
seek=$(realpath "$1"); n=$2; shift 2
command -v mpirun >/dev/null || { echo "no mpirun (scripts/setup.sh installs openmpi-bin)"; exit 2; }
work=$(mktemp -d); cd "$work"
/usr/bin/python3 - <<'PY'
import random
rng = random.Random()
words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 6))) for _ in range(300)]
with open("text.txt", "w") as f:
    for _ in range(600):
        f.write(" ".join(rng.choice(words) for _ in range(rng.randint(5, 30))) + ".\n")
PY
"$seek" shards --input text.txt --out shards --doc-lines 4 >/dev/null
cat > long.json <<JSON
{"model": {"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 32, "n_positions": 32},
 "data": {"shards": ["shards/shard_00000.bin"], "val_fraction": 0.1},
 "optim": {"lr": 3e-3, "warmup_steps": 3},
 "train": {"batch_size": 4, "seq_len": 32, "grad_accum": 2, "max_steps": 100000, "log_every": 1,
           "eval_every": 7, "eval_batches": 2, "sample_tokens": 0, "checkpoint_every": 3,
           "threads": 1, "dist_timeout_s": 5}}
JSON
good=0; badn=0
for i in $(seq 1 $n); do
  rm -rf rk
  timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 "$seek" train --config long.json --out rk "$@" > rh.log 2>&1 &
  job=$!
  for _ in $(seq 1 300); do grep -q '^saved checkpoint' rh.log 2>/dev/null && break; sleep 0.1; done
  sleep "0.$((RANDOM % 1000))"
  victim=
  for p in $(pgrep -f "$seek train --config long.json"); do
    tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && victim=$p
  done
  start=$(date +%s)
  kill -STOP "$victim"
  wait $job; rc=$?
  took=$(( $(date +%s) - start ))
  kill -9 "$victim" 2>/dev/null
  if [ $rc -ne 0 ] && [ $took -le 40 ] && grep -q "no answer from rank 1 " rh.log; then good=$((good+1)); else
    badn=$((badn+1)); echo "run $i: rc=$rc took=$took"; grep -E "did not complete|step " rh.log | tail -2; fi
done
echo "$good ok, $badn bad"
cd /; rm -rf "$work"
[ $badn -eq 0 ]
