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
source "$(dirname "$0")/train_test_lib.sh"
work=$(mktemp -d); cd "$work"
random_corpus
train_config long.json ', "max_steps": 100000, "checkpoint_every": 3, "eval_every": 7, "dist_timeout_s": 5'
good=0; badn=0
for i in $(seq 1 $n); do
  rm -rf rk
  timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 "$seek" train --config long.json --out rk "$@" > rh.log 2>&1 &
  job=$!
  wait_for '^saved checkpoint' rh.log 30
  sleep "0.$((RANDOM % 1000))"
  victim=$(rank_pid 1 long.json)
  if [ -z "$victim" ]; then
    badn=$((badn + 1)); echo "run $i: no rank 1 found"; kill $job; wait $job; continue
  fi
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
