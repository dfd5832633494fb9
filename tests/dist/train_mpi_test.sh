#!/usr/bin/env bash
# `mpirun -np N seek train`: data parallelism (plain and ZeRO-1) takes the
# single process's steps (losses within 1e-4 over 12 steps, fresh random
# corpus); a checkpoint resumes on another layout; a killed rank ends the job
# with a message naming it and the rerun resumes; a hung rank ends the job
# after train.dist_timeout_s; impossible layouts are clear errors.
#   bash tests/dist/train_mpi_test.sh path/to/seek
set -uo pipefail
seek=$(realpath "$1")
command -v mpirun >/dev/null || { echo "skip: no mpirun (scripts/setup.sh installs openmpi-bin)"; exit 77; }
work=$(mktemp -d)
trap 'pkill -9 -f "$work/" 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/train_test_lib.sh"
cd "$work"
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
mpi() { local n=$1; shift; timeout "${limit:-600}" mpirun --allow-run-as-root --oversubscribe -np "$n" -x OMP_NUM_THREADS=1 "$seek" "$@"; }
# losses A B FIRST TOL: the per-step losses (and validation losses) of run A
# from step FIRST on equal run B's within TOL.
losses() {
  /usr/bin/python3 - "$1" "$2" "$3" "$4" <<'PY'
import json, sys
def read(run):
    out = {}
    for line in open(run + "/metrics.jsonl"):
        r = json.loads(line)
        for k in ("loss", "val_loss"):
            if k in r: out[(k, r["step"])] = r[k]
    return out
a, b, first, tol = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
keys = [k for k in b if k[1] >= first]
missing = [k for k in keys if k not in a]
worst = max(abs(a[k] - b[k]) for k in keys if k in a)
print(f"  {sys.argv[1]} vs {sys.argv[2]}: {len(keys)} losses, max |diff| {worst:.2e}")
sys.exit(0 if keys and not missing and worst <= tol else 1)
PY
}

random_corpus || { echo "FAIL shards"; exit 1; }
train_config cfg.json ""
train_config zero.json ', "zero_stage": 1, "dp_bucket_mb": 0.01'

"$seek" train --config cfg.json --out r1 > r1.log 2>&1 && ok "one process" || { bad "one process"; tail r1.log; }
# Byte-level shards: a vocabulary of 257, which no tp > 1 divides.
for run in "2 cfg.json r2 dp=2" "4 cfg.json r4 dp=4" "2 zero.json r2z dp=2" "4 zero.json r4z dp=4" \
           "2 cfg.json rt --tp=2 tp=2" "4 cfg.json rdt --tp=2 dp=2xtp=2" "4 zero.json rdtz --tp=2 dp=2xtp=2" \
           "2 cfg.json rp --pp=2 pp=2" "4 cfg.json rdp --pp=2 dp=2xpp=2" "4 zero.json rdpz --pp=2 dp=2xpp=2" \
           "4 cfg.json rtp --tp=2,--pp=2 tp=2xpp=2" "8 zero.json rall --tp=2,--pp=2 dp=2xtp=2xpp=2"; do
  set -- $run
  name=${!#}
  flags=(); [ $# -eq 5 ] && flags=(${4//,/ })
  if mpi "$1" train --config "$2" --out "$3" "${flags[@]}" > "$3.log" 2>&1 && losses "$3" r1 1 1e-4; then
    ok "$name $2: the single process's losses"
  else
    bad "$name $2: the single process's losses"; tail -5 "$3.log"
  fi
done
grep -q "dp 2 zero1 comm" r2z.log && ok "progress line shows dp and its exposed communication" || bad "progress line shows dp"

# Checkpoints hold the whole state: ZeRO-1 on 2 ranks -> 1 process, and 1 process -> 4 ranks.
mpi 2 train --config zero.json --out rz --steps-this-run 6 > rz.log 2>&1
if "$seek" train --config cfg.json --out rz --resume > rz2.log 2>&1 && grep -q "resuming from .*step_00000006" rz2.log &&
   losses rz r1 7 1e-5; then ok "dp=2 ZeRO-1 checkpoint resumes in one process"; else bad "ZeRO-1 -> one process"; tail -5 rz2.log; fi
"$seek" train --config cfg.json --out rs --steps-this-run 6 > rs.log 2>&1
if mpi 4 train --config zero.json --out rs --resume > rs2.log 2>&1 && losses rs r1 7 1e-5; then
  ok "one-process checkpoint resumes at dp=4 ZeRO-1"; else bad "one process -> dp=4"; tail -5 rs2.log; fi

mpi 4 train --config cfg.json --out rx --tp 2 --steps-this-run 6 > rx.log 2>&1
cp -r rx rxp
if mpi 2 train --config cfg.json --out rxp --resume --pp 2 > rxp.log 2>&1 && losses rxp r1 7 1e-5; then
  ok "dp=2 x tp=2 checkpoint resumes at pp=2"; else bad "dp=2 x tp=2 -> pp=2"; tail -5 rxp.log; fi
"$seek" eval --model rxp/checkpoints/step_00000012 --data shards/shard_00000.bin --json > rxp_eval.json 2>&1 &&
  ok "the pp=2 checkpoint is a whole model (seek eval loads it)" || { bad "pp checkpoint loads"; tail -3 rxp_eval.json; }
if "$seek" train --config cfg.json --out rx --resume > rx2.log 2>&1 && losses rx r1 7 1e-5; then
  ok "dp=2 x tp=2 checkpoint resumes in one process"; else bad "dp=2 x tp=2 -> one process"; tail -5 rx2.log; fi
cmp -s rx/checkpoints/step_00000012/config.json r1/checkpoints/step_00000012/config.json &&
  ok "the tp checkpoint is the single process's model (same config.json)" || bad "tp checkpoint config"

mpi 4 train --config cfg.json --out rtp6 --tp 2 --pp 2 --steps-this-run 6 > rtp6.log 2>&1
if "$seek" train --config cfg.json --out rtp6 --resume > rtp62.log 2>&1 && losses rtp6 r1 7 1e-5; then
  ok "tp=2 x pp=2 checkpoint resumes in one process"; else bad "tp=2 x pp=2 -> one process"; tail -5 rtp62.log; fi

# Impossible layouts: clear errors.
out=$(mpi 2 train --config cfg.json --out bad1 --dp 3 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "dp=3 x tp=1 x pp=1 = 3 ranks, but the job has 2" <<<"$out" && ok "dp x tp x pp != ranks" || { bad "dp x tp x pp != ranks (exit $rc)"; echo "$out" | tail -3; }
out=$(mpi 2 train --config cfg.json --out bad2 --tp 4 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "tp=4: the model's 2 attention heads" <<<"$out" && ok "heads not divisible by tp" || { bad "heads not divisible by tp (exit $rc)"; echo "$out" | tail -3; }
out=$("$seek" train --config cfg.json --out bad3 --pp 3 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "pp=3: the model has only 2 blocks" <<<"$out" && ok "fewer blocks than stages" || { bad "fewer blocks than stages (exit $rc)"; echo "$out" | tail -3; }

# A killed rank: the job ends with a message naming it; the rerun resumes.
train_config long.json ', "max_steps": 100000, "checkpoint_every": 3, "eval_every": 0, "dist_timeout_s": 10'
mpi 2 train --config long.json --out rk > rk.log 2>&1 &
job=$!
victim=
wait_for '^saved checkpoint' rk.log 120 && victim=$(rank_pid 1 long.json)
[ -z "$victim" ] && kill $job
start=$(date +%s)
[ -n "${victim:-}" ] && kill -9 "$victim"
wait $job; rc=$?
took=$(( $(date +%s) - start ))
if [ -n "${victim:-}" ] && [ $rc -ne 0 ] && [ $took -le 40 ] && grep -qiE "rank 1\b" rk.log; then
  ok "killed rank 1: the job ended in ${took}s naming it"; else bad "killed rank (exit $rc, ${took}s)"; tail -8 rk.log; fi
if mpi 2 train --config long.json --out rk --resume --steps-this-run 2 > rk2.log 2>&1 && grep -q "resuming from .*step_" rk2.log; then
  ok "rerun resumes from the last checkpoint ($(grep -o 'step_[0-9]*' rk2.log | head -1))"; else bad "rerun resumes"; tail -5 rk2.log; fi

# A hung rank (stopped): the other's collective times out and names it
# (a job still running after 120 s has hung in the error path).
limit=120 mpi 2 train --config long.json --out rk --resume > rh.log 2>&1 &
job=$!
victim=
wait_for '^saved checkpoint' rh.log 120 && victim=$(rank_pid 1 long.json)
[ -z "$victim" ] && kill $job
start=$(date +%s)
[ -n "${victim:-}" ] && kill -STOP "$victim"
wait $job; rc=$?
took=$(( $(date +%s) - start ))
[ -n "${victim:-}" ] && kill -9 "$victim" 2>/dev/null
if [ $rc -ne 0 ] && [ $took -le 60 ] && grep -q "no answer from rank 1 " rh.log; then
  ok "hung rank 1: timed out in ${took}s naming it"; else bad "hung rank (exit $rc, ${took}s)"; tail -8 rh.log; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
