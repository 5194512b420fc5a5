#!/usr/bin/env bash
# Serving throughput and latency with `strata bench serve` at several concurrency levels,
# a fresh server per level (so no level gains from the previous one's prefix cache).
#
#   Benchmarks/serve.sh MODEL.gguf                    strata serve
#   LLAMA_SERVER=/path/to/llama-server Benchmarks/serve.sh MODEL.gguf
#                                                     also llama.cpp's llama-server -np 8, same file
#
# Environment: THREADS (2), LEVELS ("1 4 8 16"), PROMPT_TOKENS (128), MAX_TOKENS (64),
# REQUESTS_PER_WORKER (4), PORT (18200), SKIP_STRATA (set: only llama-server).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: Benchmarks/serve.sh MODEL.gguf}
THREADS=${THREADS:-2}
LEVELS=${LEVELS:-"1 4 8 16"}
PROMPT_TOKENS=${PROMPT_TOKENS:-128}
MAX_TOKENS=${MAX_TOKENS:-64}
PER=${REQUESTS_PER_WORKER:-4}
PORT=${PORT:-18200}
STRATA=.build/release/strata

wait_ready() {  # until /health answers 200, at most 60 s
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not come up" >&2; return 1
}

run_levels() {  # $1: label, $2...: the server command
  local label=$1; shift
  for c in $LEVELS; do
    "$@" >/tmp/strata-serve-bench.log 2>&1 &
    local pid=$!
    wait_ready
    echo "== $label, concurrency $c"
    "$STRATA" bench serve --url "http://127.0.0.1:$PORT" -c "$c" -n $((c * PER)) \
      --prompt-tokens "$PROMPT_TOKENS" --max-tokens "$MAX_TOKENS" \
      | grep -E "requests  |output throughput|latency|TTFT|TPOT|ITL|E2E"
    kill -TERM "$pid"; wait "$pid" || true
  done
}

[ -n "${SKIP_STRATA:-}" ] || run_levels "strata" "$STRATA" serve --model "$MODEL" --port "$PORT" --threads "$THREADS" --parallel 16 --ctx 1024
if [ -n "${LLAMA_SERVER:-}" ]; then
  PORT=$((PORT + 1))  # its HTTP library binds without SO_REUSEADDR: avoid strata's TIME_WAIT sockets
  run_levels "llama-server -np 8" "$LLAMA_SERVER" -m "$MODEL" --port "$PORT" -t "$THREADS" -np 8 -c 8192
fi
