#!/usr/bin/env bash
# End-to-end test of `seek serve`: trains a tiny Llama with its own BPE tokenizer,
# starts the server on free ports, and drives it with real clients: the official
# OpenAI Node client (js/openai_test.mjs) and gRPC's Node client (js/grpc_test.mjs).
#   serve_test.sh PATH/TO/seek
set -uo pipefail
seek=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
die() { echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     | /' "$2" | tail -20; exit 1; }
if ! command -v node >/dev/null || [ ! -d "$here/js/node_modules/openai" ]; then
  echo "skip: node or tests/e2e/js/node_modules missing (bash scripts/setup.sh --all)"; exit 77  # ctest: Skipped
fi

# Fixture: tokenizer -> shards -> a tiny Llama, about 10 s on 2 cores.
for i in $(seq 1 400); do
  echo "line $i: the quick brown fox $((i * 7 % 13)) jumps over the lazy dog. Hello there, how are you?"
done > "$work/text.txt"
"$seek" tokenizer train --input "$work/text.txt" --vocab-size 400 --out "$work/tok" --quiet \
  > "$work/fixture.log" 2>&1 || die "tokenizer train" "$work/fixture.log"
"$seek" shards --input "$work/text.txt" --out "$work/shards" --tokenizer "$work/tok" --doc-lines 8 \
  >> "$work/fixture.log" 2>&1 || die "shards --tokenizer" "$work/fixture.log"
cat > "$work/cfg.json" <<JSON
{"model": {"model_type": "llama", "num_hidden_layers": 2, "num_attention_heads": 2, "hidden_size": 64,
           "intermediate_size": 128, "max_position_embeddings": 2048},
 "data": {"shards": ["$work/shards/shard_00000.bin"], "val_fraction": 0.0},
 "optim": {"lr": 1e-2, "warmup_steps": 5},
 "train": {"batch_size": 8, "seq_len": 64, "max_steps": 40, "eval_every": 0, "sample_tokens": 0,
           "checkpoint_every": 40, "log_every": 20}}
JSON
"$seek" train --config "$work/cfg.json" --out "$work/run" >> "$work/fixture.log" 2>&1 || die "train" "$work/fixture.log"
model="$work/run/checkpoints/step_00000040"
[ -s "$model/tokenizer.json" ] || die "checkpoint has no tokenizer.json" "$work/fixture.log"
mv "$model" "$work/tiny-llama"  # the served name is the folder's name
model="$work/tiny-llama"
echo "ok   fixture: tokenizer, shards, tiny Llama trained"

# start_server FLAGS...: `seek serve` on free ports in the background; waits for its
# ready line (sets $ready and $server_pid; output in $work/serve.out, serve.err).
start_server() {
  "$seek" serve --model "$model" --http-port 0 --grpc-port 0 --threads 1 "$@" \
    > "$work/serve.out" 2> "$work/serve.err" &
  server_pid=$!
  ready=""
  for _ in $(seq 1 300); do
    ready=$(grep -m1 '^seek serve: ready ' "$work/serve.out" 2>/dev/null)
    [ -n "$ready" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$ready" ] || { cat "$work/serve.out"; die "server ready line within 30 s" "$work/serve.err"; }
  echo "ok   $ready"
}
# stop_server: SIGTERM, and the server must exit 0 within 10 s.
stop_server() {
  kill -TERM "$server_pid"
  for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "FAIL server exits within 10 s of SIGTERM"; fail=1
  else
    wait "$server_pid"; rc=$?
    if [ "$rc" -eq 0 ]; then echo "ok   server exits 0 on SIGTERM"; else echo "FAIL server exit code $rc on SIGTERM"; fail=1; fi
  fi
  [ "$fail" -eq 0 ] || { echo "server stderr (tail):"; tail -20 "$work/serve.err" | sed 's/^/     | /'; }
  server_pid=""
}
field() { grep -oE " $1=[^ ]+" <<<"$ready" | cut -d= -f2; }

fail=0
start_server
name=$(field model) http=$(field http) grpc=$(field grpc)
[ "$name" = "tiny-llama" ] && echo "ok   model name defaults to the folder name" || die "model name is '$name'"
# A second server on the same HTTP port is refused, not let in to share it.
second=$(timeout 30 "$seek" serve --model "$model" --http-port "${http##*:}" --grpc-port -1 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "cannot listen for HTTP on .*:${http##*:}" <<<"$second"; then
  echo "ok   a second server on the HTTP port in use exits $rc"
else
  echo "FAIL a second server on the HTTP port in use (exit $rc): $(tail -1 <<<"$second")"; fail=1
fi
# A burst of new connections must not overflow the accept queue (httplib's own backlog
# is 5: the 6th client connecting at once waited 1 s for a SYN retry).
if command -v ss >/dev/null; then
  backlog=$(ss -Hltn "sport = :${http##*:}" | awk '{print $3; exit}')
  if [ "${backlog:-0}" -ge 128 ]; then echo "ok   HTTP listen backlog $backlog"; else echo "FAIL HTTP listen backlog '${backlog}' < 128"; fail=1; fi
fi
timeout 300 node "$here/js/openai_test.mjs" "http://$http" "$name" "$seek" "$model" || fail=1
if [ -z "$grpc" ]; then
  echo "FAIL the ready line names no grpc= address"; fail=1
else
  timeout 120 node "$here/js/grpc_test.mjs" "$grpc" "$repo/proto/seek/v1/inference.proto" || fail=1
fi

stop_server

# Options: a chat template file, a model name, a KV cache of 16 blocks (256 tokens)
# under 10 concurrent requests (preemption).
printf '%s' '{% for m in messages %}<{{ m.role }}>{{ m.content }}
{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}' > "$work/template.jinja"
start_server --kv-cache-mb 0.25 --served-model-name small-cache --chat-template "$work/template.jinja"
timeout 120 node "$here/js/serve_options_test.mjs" "http://$(field http)" small-cache || fail=1
stop_server
exit "$fail"
