#!/usr/bin/env bash
# `seek data <stage>`: every stage runs alone on a fresh random corpus, and
# single stages chained through documents.jsonl give byte-for-byte the
# documents a pipeline file with the same stages gives. Bad --options end
# with exit 2 and a message naming the problem.
#   bash tests/data/stage_cli_test.sh path/to/seek
set -euo pipefail
seek=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; exit 1; }

# 120 documents: 20 exact copies, 20 one-word edits, some e-mail addresses;
# a '%'-separated file; two made-up "languages" (vowel-heavy / consonant-
# heavy words) in per-language folders for the language identifier.
/usr/bin/python3 - <<'PY'
import os, random
rng = random.Random()
def vocab(letters, n): return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 8))) for _ in range(n)]
words = vocab("abcdefghijklmnopqrstuvwxyz", 1500) + ["the", "and", "of", "to", "that", "with"]
def text(ws, n): return "\n".join(" ".join(rng.choice(ws) for _ in range(12)) + "." for _ in range(n))
base = [text(words, rng.randint(5, 20)) for _ in range(80)]
docs = base + [rng.choice(base) for _ in range(20)]
for _ in range(20):
    t = rng.choice(base).split(" "); t[len(t) // 2] = "edited"; docs.append(" ".join(t))
docs = [d + ("\nwrite to person%d@example.org" % i if i % 9 == 0 else "") for i, d in enumerate(docs)]
os.makedirs("raw/books")
for i, d in enumerate(docs): open("raw/books/b%03d.txt" % i, "w").write(d)
open("raw/quotes", "w").write("\n%\n".join(docs[:30]) + "\n")
for lang, letters in (("aa", "aeiouaeioulm"), ("zz", "bcdfghjkstvwxz")):
    os.makedirs("lang/" + lang)
    ws = vocab(letters, 300)
    open("lang/%s/f" % lang, "w").write("\n%\n".join(text(ws, 2) for _ in range(300)) + "\n")
PY

# Chained single stages == the same stages in a pipeline file.
"$seek" data normalize raw/books --output a --quiet > /dev/null || fail "seek data normalize"
"$seek" data dedup a/documents.jsonl --output b --quiet > dedup.out || fail "seek data dedup"
"$seek" data pii b/documents.jsonl --output c --quiet --keep-rejects > /dev/null || fail "seek data pii"
cat > pipeline.json <<'JSON'
{"inputs": [{"source": "books", "path": "raw/books"}],
 "stages": [{"stage": "normalize"}, {"stage": "dedup"}, {"stage": "pii"}], "resume": false}
JSON
"$seek" data run pipeline.json --output p --quiet > /dev/null || fail "seek data run"
cmp -s c/documents.jsonl p/documents.jsonl || fail "normalize | dedup | pii differs from the pipeline of the same stages"
grep -q "120 documents in" dedup.out || { cat dedup.out; fail "seek data dedup did not read the 120 documents"; }
/usr/bin/python3 - <<'PY' || fail "the chained dedup did not drop the copies and edits"
import json
m = json.load(open("b/manifest.json"))
d = m["stages"][0]["dropped"]
assert m["stages"][0]["stage"] == "dedup", m["stages"]
assert d.get("exact_duplicate", 0) >= 15 and d.get("minhash_duplicate", 0) >= 15, d
assert sum(d.values()) <= 42, d
docs = [json.loads(l) for l in open("b/documents.jsonl")]
assert all(x["source"] == "books" for x in docs), "source lost"
assert len({x["id"] for x in docs}) == len(docs), "ids not unique"
assert not any("@example.org" in json.loads(l)["text"] for l in open("c/documents.jsonl")), "pii kept an address"
PY
ok "normalize | dedup | pii through documents.jsonl == the pipeline of the same stages (byte-identical)"

# Every other stage runs alone; options reach the stage.
for st in gopher_quality gopher_repetition c4 fineweb balance; do
  opts='{}'; [ "$st" = balance ] && opts='{"temperature": 0.5}'
  "$seek" data "$st" a/documents.jsonl --output "s-$st" --options "$opts" --quiet > /dev/null || fail "seek data $st"
  [ -s "s-$st/manifest.json" ] || fail "seek data $st wrote no manifest"
done
"$seek" data gopher_quality raw/quotes --separator % --source q --output q --quiet --keep-rejects \
  --options '{"min_doc_words": 100000}' > q.out || fail "seek data gopher_quality with --options"
grep -q "30 documents in, 0 out" q.out || { cat q.out; fail "--separator or --options did not apply"; }
ok "gopher_quality, gopher_repetition, c4, fineweb and balance run alone; --separator and --options apply"

# The language-ID stage alone, with a model trained here.
"$seek" data langid train --input lang --out lid.bin > /dev/null 2>&1 || fail "seek data langid train"
"$seek" data langid filter lang/zz/f --separator % --output l --quiet \
  --options '{"model": "lid.bin", "languages": ["aa"]}' > l.out || fail "seek data langid filter"
grep -q "300 documents in" l.out || { cat l.out; fail "langid filter read the wrong number of documents"; }
/usr/bin/python3 -c "import json,sys; d=json.load(open('l/manifest.json'))['stages'][0]['dropped']; sys.exit(sum(d.values()) < 285)" ||
  { cat l/manifest.json; fail "langid filter kept the other language"; }
ok "seek data langid filter keeps only the configured language"

# Bad input: exit 2, saying what is wrong.
expect2() {
  local what=$1 pattern=$2; shift 2
  set +e; "$seek" "$@" > err.out 2>&1; local rc=$?; set -e
  [ "$rc" = 2 ] || { cat err.out; fail "$what: exit $rc, want 2"; }
  grep -q -- "$pattern" err.out || { cat err.out; fail "$what: the message does not mention '$pattern'"; }
}
expect2 "non-object --options" "not a JSON object" data dedup a/documents.jsonl --output x --options '[1]'
expect2 "unknown option key" "no_such_key" data c4 a/documents.jsonl --output x --options '{"no_such_key": 1}'
expect2 "missing input" "does not exist" data pii does/not/exist --output x
[ ! -e x ] || fail "a failed command left an output folder"
ok "bad --options and a missing input exit 2 with a clear message"
