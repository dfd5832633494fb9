#!/usr/bin/env bash
# End-to-end test of the `seek` CLI: shards -> train -> resume -> eval -> sample -> plot,
# and the bad inputs a user meets, each with exit code 2 and a message naming the problem.
#   cli_test.sh PATH/TO/seek
set -uo pipefail
seek=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
# expect CODE PATTERN NAME -- command...: exit code and a line of output matching PATTERN.
expect() {
  local code=$1 pattern=$2 name=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$code" ] && grep -qE -- "$pattern" <<<"$out"; then ok "$name"; else
    bad "$name (exit $rc, wanted $code and /$pattern/)"; echo "$out" | tail -5 | sed 's/^/     | /'; fi
}

# A small corpus: 400 lines of varied English-ish text.
for i in $(seq 1 400); do echo "line $i: the quick brown fox $((i * 7 % 13)) jumps over the lazy dog."; done > "$work/text.txt"
expect 0 "wrote 1 shard" "shards from text" -- "$seek" shards --input "$work/text.txt" --out "$work/shards" --doc-lines 8
cat > "$work/cfg.json" <<JSON
{"model": {"model_type": "llama", "num_hidden_layers": 1, "num_attention_heads": 2, "hidden_size": 32,
           "intermediate_size": 64},
 "data": {"shards": ["shards/shard_00000.bin"], "val_fraction": 0.1},
 "optim": {"lr": 3e-3, "warmup_steps": 5},
 "train": {"batch_size": 4, "seq_len": 32, "max_steps": 30, "eval_every": 10, "eval_batches": 2,
           "sample_tokens": 20, "checkpoint_every": 10, "log_every": 5}}
JSON
expect 0 "saved checkpoint .*step_00000020" "train part 1 (--steps-this-run 20)" -- "$seek" train --config "$work/cfg.json" --out "$work/run" --steps-this-run 20
expect 0 "resuming from .*step_00000020" "train resumes" -- "$seek" train --config "$work/cfg.json" --out "$work/run" --resume
expect 2 "already holds checkpoints" "fresh run refuses a used run dir" -- "$seek" train --config "$work/cfg.json" --out "$work/run"
[ -s "$work/run/loss.png" ] && ok "loss.png drawn" || bad "loss.png drawn"
[ -s "$work/run/train_config.json" ] && ok "effective config saved" || bad "effective config saved"
grep -q '"val_loss"' "$work/run/metrics.jsonl" && ok "metrics has validation" || bad "metrics has validation"
model="$work/run/checkpoints/step_00000030"
expect 0 '^\{"loss":[0-9.]+,"perplexity":[0-9.]+,"tokens":[0-9]+\}$' "eval --json on a shard" -- "$seek" eval --model "$model" --data "$work/shards/shard_00000.bin" --json
echo "[1, 2, 3, 4, 5]" > "$work/ids.txt"
expect 0 "perplexity" "eval on token-id lines" -- "$seek" eval --model "$model" --data "$work/ids.txt"
expect 0 '^\[[0-9.e+-]+(,[0-9.e+-]+){3}\]$' "eval --per-token prints 4 losses for 5 ids" -- "$seek" eval --model "$model" --data "$work/ids.txt" --per-token
expect 2 "--per-token needs a file of JSON id arrays" "eval --per-token on a shard" -- "$seek" eval --model "$model" --data "$work/shards/shard_00000.bin" --per-token
expect 0 "^the" "sample from a text prompt" -- "$seek" sample --model "$model" --prompt "the" --tokens 10
expect 0 "loss.png" "plot" -- "$seek" plot "$work/run"
# seek generate (inference engine, KV cache) agrees with seek sample (full recompute) when greedy.
gen=$("$seek" generate --model "$model" --prompt "the" --max-tokens 20 --temperature 0 2>/dev/null)
smp=$("$seek" sample --model "$model" --prompt "the" --tokens 20 --temperature 0 2>/dev/null)
[ -n "$gen" ] && [ "$gen" = "$smp" ] && ok "generate greedy equals sample greedy" || bad "generate greedy equals sample greedy ('$gen' vs '$smp')"
expect 0 "tokens/s decode" "generate prints its speed" -- "$seek" generate --model "$model" --prompt "the" --max-tokens 5 --seed 1
expect 2 "past the model's context" "generate past the context" -- "$seek" generate --model "$model" --prompt "the" --max-tokens 100000

# Tokenizer round trip through the CLI (a small byte-level BPE tokenizer.json).
tok="$(dirname "$0")/../fuzz/corpus/tokenizer/tiny_tokenizer.json"
printf 'the thin band <s> 漢字 🙂\n  two  spaces\n' > "$work/text2.txt"
expect 0 '^\[259,' "tokenizer encode --special" -- "$seek" tokenizer encode --tokenizer "$tok" --special < "$work/text2.txt"
"$seek" tokenizer encode --tokenizer "$tok" < "$work/text2.txt" > "$work/ids2.txt"
if "$seek" tokenizer decode --tokenizer "$tok" < "$work/ids2.txt" | cmp -s - "$work/text2.txt"; then
  ok "tokenizer decode(encode(x)) == x"; else bad "tokenizer decode(encode(x)) == x"; fi
expect 2 "stdin line 1: expected a JSON array" "tokenizer decode of a bad line" -- bash -c "echo '[1, \"x\"]' | '$seek' tokenizer decode --tokenizer '$tok'"

# Tokenizer training: train, then encode/decode with the result; bad inputs exit 2.
cat "$work/text.txt" "$work/text2.txt" > "$work/tok_corpus.txt"
expect 0 "vocab 3[0-9][0-9] .*merges" "tokenizer train" -- "$seek" tokenizer train --input "$work/tok_corpus.txt" --vocab-size 400 --out "$work/trained" --quiet
[ -s "$work/trained/tokenizer.json" ] && [ -s "$work/trained/tokenizer_config.json" ] && ok "tokenizer train writes both files" || bad "tokenizer train writes both files"
"$seek" tokenizer encode --tokenizer "$work/trained" < "$work/tok_corpus.txt" > "$work/ids3.txt"
if "$seek" tokenizer decode --tokenizer "$work/trained" < "$work/ids3.txt" | cmp -s - "$work/tok_corpus.txt"; then
  ok "trained tokenizer decode(encode(x)) == x"; else bad "trained tokenizer decode(encode(x)) == x"; fi
expect 2 "nope.txt: no such file" "tokenizer train, missing input" -- "$seek" tokenizer train --input "$work/nope.txt" --vocab-size 400 --out "$work/t2"
expect 2 "--vocab-size 100 .*use at least 257" "tokenizer train, vocab too small" -- "$seek" tokenizer train --input "$work/tok_corpus.txt" --vocab-size 100 --out "$work/t2"
expect 2 "larger than 2\^31" "tokenizer train, vocab too large" -- "$seek" tokenizer train --input "$work/tok_corpus.txt" --vocab-size 4294967296 --out "$work/t2"
expect 2 "regex .*does not compile" "tokenizer train, bad regex" -- "$seek" tokenizer train --input "$work/tok_corpus.txt" --vocab-size 400 --out "$work/t2" --regex "([a-z"
: > "$work/empty.txt"
expect 2 "hold no text" "tokenizer train, empty corpus" -- "$seek" tokenizer train --input "$work/empty.txt" --vocab-size 400 --out "$work/t2"

# A tokenizer.json through the whole path: shards -> train -> checkpoint with the tokenizer -> sample.
mkdir -p "$work/tok"
sed 's/<s>/<|endoftext|>/g' "$tok" > "$work/tok/tokenizer.json"  # the tiny BPE, with an end-of-text token
expect 0 "wrote 1 shard.*end of text 259" "shards with --tokenizer" -- "$seek" shards --input "$work/text.txt" --out "$work/bpe" --tokenizer "$work/tok" --doc-lines 8
[ -s "$work/bpe/tokenizer.json" ] && [ -s "$work/bpe/tokenizer_config.json" ] && ok "shard folder records the tokenizer" || bad "shard folder records the tokenizer"
sed -e 's#shards/shard_00000.bin#bpe/shard_00000.bin#' -e 's/"max_steps": 30/"max_steps": 6, "sample_prompt": "the quick"/' \
  "$work/cfg.json" > "$work/cfg_bpe.json"
expect 0 "^the quick" "train on tokenizer shards prints text samples" -- "$seek" train --config "$work/cfg_bpe.json" --out "$work/run_bpe"
bpe_model="$work/run_bpe/checkpoints/step_00000006"
[ -s "$bpe_model/tokenizer.json" ] && [ -s "$bpe_model/tokenizer_config.json" ] && ok "checkpoint holds tokenizer.json" || bad "checkpoint holds tokenizer.json"
grep -q '"eos_token_id": 259' "$bpe_model/generation_config.json" && ok "generation_config eos_token_id" || bad "generation_config eos_token_id"
grep -q '"vocab_size": 320' "$bpe_model/config.json" && ok "vocab_size padded to a multiple of 64" || bad "vocab_size padded to a multiple of 64"
expect 0 "^the quick brown" "sample a tokenizer model from a text prompt" -- "$seek" sample --model "$bpe_model" --prompt "the quick brown" --tokens 10
expect 0 "^[0-9 ]+$" "sample a tokenizer model from ids" -- "$seek" sample --model "$bpe_model" --prompt-ids "1 2 3" --tokens 5
expect 2 "tokenizer .*nope.* does not exist" "shards with a missing tokenizer" -- "$seek" shards --input "$work/text.txt" --out "$work/bad1" --tokenizer "$work/nope"
expect 2 "no end-of-text token.*--eot-token" "shards with a tokenizer without end of text" -- "$seek" shards --input "$work/text.txt" --out "$work/bad2" --tokenizer "$tok"
expect 2 "end-of-text token \"<x>\".*not in" "shards with an unknown --eot-token" -- "$seek" shards --input "$work/text.txt" --out "$work/bad3" --tokenizer "$tok" --eot-token "<x>"
expect 0 "end of text 259" "shards with --eot-token" -- "$seek" shards --input "$work/text.txt" --out "$work/bpe2" --tokenizer "$tok" --eot-token "<s>"
sed 's#"shards": \["bpe/shard_00000.bin"\]#"shards": ["bpe/shard_00000.bin", "bpe2/shard_00000.bin"]#' "$work/cfg_bpe.json" > "$work/cfg_two.json"
expect 2 "mixes two tokenizers" "shards of two tokenizers in one config" -- "$seek" train --config "$work/cfg_two.json" --out "$work/r_two"
sed 's#"shards": \["bpe/shard_00000.bin"\]#"shards": ["bpe/shard_00000.bin", "shards/shard_00000.bin"]#' "$work/cfg_bpe.json" > "$work/cfg_mixed.json"
expect 2 "mixes tokenizers.*byte-level" "tokenizer and byte shards in one config" -- "$seek" train --config "$work/cfg_mixed.json" --out "$work/r_mixed"
# Chat template through the CLI: exact output (no newline added), errors exit 2.
mkdir -p "$work/chat"
cat > "$work/chat/tokenizer_config.json" <<'JSON'
{"bos_token": {"content": "<s>"}, "eos_token": "</s>",
 "chat_template": "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"}
JSON
echo '[{"role": "user", "content": " hi ü "}]' | "$seek" tokenizer chat --tokenizer "$work/chat" --generation-prompt > "$work/chat/out.txt"
if [ "$(cat "$work/chat/out.txt")" = "<s><user>hi ü</s><assistant>" ] && [ "$(tail -c 1 "$work/chat/out.txt")" = ">" ]; then
  ok "tokenizer chat renders the template exactly"; else bad "tokenizer chat renders the template exactly"; fi
expect 2 "JSON array of messages" "tokenizer chat with bad stdin" -- bash -c "echo 'not json' | '$seek' tokenizer chat --tokenizer '$work/chat'"

# Bad input: exit code 2 and a message naming the file or field.
expect 2 "does not exist|File does not exist" "missing config file" -- "$seek" train --config "$work/nope.json"
sed 's/"batch_size": 4/"batch_size": "four"/' "$work/cfg.json" > "$work/bad_type.json"
expect 2 "'batch_size' must be an integer" "config with a wrong type" -- "$seek" train --config "$work/bad_type.json" --out "$work/r2"
sed 's/"max_steps": 30/"max_step": 30/' "$work/cfg.json" > "$work/typo.json"
expect 2 "unknown key 'max_step' in section 'train'" "config with a typo" -- "$seek" train --config "$work/typo.json" --out "$work/r3"
mkdir -p "$work/trunc/shards"
head -c 300 "$work/shards/shard_00000.bin" > "$work/trunc/shards/shard_00000.bin"
cp "$work/cfg.json" "$work/trunc/cfg.json"
expect 2 "shard_00000.bin.*(truncated|corrupt)" "truncated shard" -- "$seek" train --config "$work/trunc/cfg.json" --out "$work/r4"
sed 's/"hidden_size": 32/"hidden_size": 48/' "$work/cfg.json" > "$work/other.json"
expect 2 "different model" "resume with another model" -- "$seek" train --config "$work/other.json" --out "$work/run" --resume
expect 2 "config.json" "eval of a folder without a model" -- "$seek" eval --model "$work" --data "$work/ids.txt"
echo "[1, -4]" > "$work/bad_ids.txt"
expect 2 "bad_ids.txt:1: -4 is not a token id" "eval with a bad id line" -- "$seek" eval --model "$model" --data "$work/bad_ids.txt"
expect 2 "outside the vocabulary" "sample with an id out of range" -- "$seek" sample --model "$model" --prompt-ids "1 999"
expect 2 "" "unknown flag" -- "$seek" train --config "$work/cfg.json" --bogus
expect 0 "Usage" "--help" -- "$seek" train --help

# The data pipeline: two sources with duplicates -> dedup -> documents.jsonl -> shards.
mkdir -p "$work/raw/a"
for i in $(seq 1 30); do od -An -N300 -tx1 /dev/urandom > "$work/raw/a/$i.txt"; done  # 300 random 2-hex-digit words
cp "$work/raw/a/1.txt" "$work/raw/a/copy_of_1.txt"
printf 'quote one\n%%\nquote two\n%%\nquote one\n' > "$work/raw/q.txt"
cat > "$work/pipe.json" <<JSON
{"inputs": [{"source": "files", "path": "$work/raw/a"}, {"source": "quotes", "path": "$work/raw/q.txt", "separator": "%"}],
 "stages": [{"stage": "dedup"}], "output": "$work/pipe"}
JSON
expect 0 "wrote .*documents.jsonl \(32 documents\)" "data run" -- "$seek" data run "$work/pipe.json" --keep-rejects --quiet
grep -q '"exact_duplicate": 2' "$work/pipe/manifest.json" && ok "manifest counts the drops" || bad "manifest counts the drops"
[ "$(wc -l < "$work/pipe/rejects.jsonl")" -eq 2 ] && ok "rejects.jsonl" || bad "rejects.jsonl"
[ -s "$work/pipe/report.png" ] && ok "report.png drawn" || bad "report.png drawn"
expect 0 "exact_duplicate 2" "data report" -- "$seek" data report "$work/pipe"
expect 0 "32 documents" "shards from documents.jsonl" -- "$seek" shards --input "$work/pipe/documents.jsonl" --format jsonl --out "$work/pshards"
sed 's/"dedup"/"bogus"/' "$work/pipe.json" > "$work/bad_pipe.json"
expect 2 "unknown stage 'bogus'" "data run with an unknown stage" -- "$seek" data run "$work/bad_pipe.json"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
