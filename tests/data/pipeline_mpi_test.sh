#!/usr/bin/env bash
# `mpirun -np N seek data run`: the same documents.jsonl, manifest.json and
# rejects.jsonl for 1, 2 and 4 ranks on a fresh random corpus whose exact and
# near duplicates sit in files that different ranks read; resume under MPI; a
# bad file on one rank ends every rank with an error naming that rank.
#   bash tests/data/pipeline_mpi_test.sh path/to/seek
set -euo pipefail
seek=$(realpath "$1")
command -v mpirun >/dev/null || { echo "skip: no mpirun (scripts/setup.sh installs openmpi-bin)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mpi() { local n=$1; shift; timeout 300 mpirun --allow-run-as-root --oversubscribe -np "$n" "$seek" "$@"; }
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; exit 1; }

# ~300 documents in 3 sources: 40 exact copies and 40 one-word edits of
# earlier documents, placed in later files (other ranks), e-mail addresses
# for the PII stage, one JSONL source.
/usr/bin/python3 - <<'PY'
import json, os, random
rng = random.Random()
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(2000)]
words += ["the", "and", "of", "to", "that", "with"]
def text(n):
    lines = []
    for _ in range(max(1, n // 12)):
        lines.append(" ".join(rng.choice(words) for _ in range(12)) + ".")
    return "\n".join(lines)
base = [text(rng.randint(60, 240)) for _ in range(220)]
docs = list(base)
for _ in range(40): docs.append(rng.choice(base))
for _ in range(40):
    t = rng.choice(base).split(" ")
    t[len(t) // 2] = "edited"
    docs.append(" ".join(t))
docs = [d + ("\nmail me at someone%d@example.org" % i if i % 17 == 0 else "") for i, d in enumerate(docs)]
os.makedirs("raw/books", exist_ok=True); os.makedirs("raw/quotes", exist_ok=True)
for i, d in enumerate(docs[:100]):
    open("raw/books/b%03d.txt" % i, "w").write(d)
for f in range(10):
    open("raw/quotes/q%02d" % f, "w").write("\n%\n".join(docs[100 + 10 * f: 110 + 10 * f]) + "\n")
with open("raw/web.jsonl", "w") as out:
    for i, d in enumerate(docs[200:]):
        out.write(json.dumps({"text": d, "url": "u%d" % i}) + "\n")
# The duplicates go last in reading order: into files the last ranks read.
PY
for jac in false true; do
  cat > pipeline.json <<JSON
{"inputs": [{"source": "books", "path": "raw/books"},
            {"source": "quotes", "path": "raw/quotes", "separator": "%"},
            {"source": "web", "path": "raw/web.jsonl", "format": "jsonl"}],
 "stages": [{"stage": "normalize"},
            {"stage": "dedup", "source_priority": ["web", "books"], "minhash": {"check_jaccard": $jac}},
            {"stage": "gopher_repetition", "sources": ["books", "web"]},
            {"stage": "balance", "weights": {"books": 2, "quotes": 1, "web": 1}, "seed": 7},
            {"stage": "pii"}],
 "keep_rejects": true, "shards": {}}
JSON
  for n in 1 2 4; do
    mpi "$n" data run pipeline.json --output "out-$jac-$n" --quiet > "log-$jac-$n" 2>&1 ||
      { cat "log-$jac-$n"; fail "mpirun -np $n"; }
    [ "$(/usr/bin/python3 -c "import json; print(json.load(open('out-$jac-$n/timings.json'))['ranks'])")" = "$n" ] ||
      fail "timings.json of -np $n does not say $n ranks"
  done
  for n in 2 4; do
    for f in documents.jsonl manifest.json rejects.jsonl shards/shard_00000.bin; do
      cmp -s "out-$jac-1/$f" "out-$jac-$n/$f" || fail "check_jaccard=$jac: $f differs between 1 and $n ranks"
    done
  done
  /usr/bin/python3 - "out-$jac-1/manifest.json" <<'PY' || fail "check_jaccard=$jac: dedup did not find the duplicates"
import json, sys
m = json.load(open(sys.argv[1]))
d = m["stages"][1]["dropped"]
# 40 copies (a few carry an e-mail line, so near rather than exact) and 40
# one-word edits; unrelated random texts share no 5-gram.
assert d.get("exact_duplicate", 0) >= 30 and d.get("minhash_duplicate", 0) >= 30, d
assert d.get("exact_duplicate", 0) + d.get("minhash_duplicate", 0) <= 85, d
assert m["inputs"][0]["files"] == 100 and m["inputs"][1]["files"] == 10, m["inputs"]
PY
  ok "check_jaccard=$jac: documents, manifest, rejects and token shards byte-identical for 1, 2 and 4 ranks (exact and near duplicates across ranks dropped)"
done

# Resume under MPI: a second run of the same pipeline resumes after the last stage.
mpi 2 data run pipeline.json --output out-true-2 --quiet > /dev/null 2>&1 || fail "rerun on 2 ranks"
/usr/bin/python3 -c "import json,sys; t = json.load(open('out-true-2/timings.json')); sys.exit(t['resumed_after_stages'] != 5)" ||
  fail "the rerun on 2 ranks did not resume"
cmp -s out-true-1/documents.jsonl out-true-2/documents.jsonl || fail "the resumed run's documents differ"
ok "a rerun on 2 ranks resumes after the last stage, same output"

# A broken JSONL line (strict) in the file the last rank reads: every rank stops, naming it.
cp -r raw raw-bad
echo '{"text": broken' >> raw-bad/web.jsonl
sed -e 's|"raw/|"raw-bad/|g' -e 's|"format": "jsonl"}|"format": "jsonl", "strict": true}|' pipeline.json > bad.json
set +e
mpi 2 data run bad.json --output out-bad --quiet > bad.log 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { cat bad.log; fail "bad input on rank 1: exit $rc (124: hung)"; }
grep -q "rank 1: .*web.jsonl" bad.log || { cat bad.log; fail "the error does not name rank 1 and the file"; }
[ ! -e out-bad/documents.jsonl ] || fail "output written despite the error"
ok "a broken line on rank 1 ends both ranks (exit $rc) naming the rank and the file"
