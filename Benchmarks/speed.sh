#!/usr/bin/env bash
# Speed and memory on random-weight models, in llama-bench's terms (pp = prompt tokens/s in
# one batch, tg = generated tokens/s one at a time), with 2 threads by default.
#
#   Benchmarks/speed.sh                       strata only
#   LLAMA_BENCH=/path/to/llama-bench Benchmarks/speed.sh
#                                             also llama.cpp's llama-bench on the same files,
#                                             interleaved, and the ratios strata / llama.cpp
#
# Environment: THREADS (2), REPS (3), MODELS_DIR (/tmp/strata-bench), SHAPES
# ("stories110M:f32 tinyllama-1.1b:q8_0"). Models are generated once and reused; they are
# never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
REPS=${REPS:-3}
MODELS_DIR=${MODELS_DIR:-/tmp/strata-bench}
SHAPES=${SHAPES:-"stories110M:f32 tinyllama-1.1b:q8_0"}
STRATA=.build/release/strata
mkdir -p "$MODELS_DIR"

rate() {  # the t/s mean of the row for test $2 in table $1
  awk -F'|' -v t="$2" '$0 ~ t { gsub(/ /, "", $(NF-1)); split($(NF-1), a, "±"); print a[1] }' <<<"$1"
}

for spec in $SHAPES; do
  shape=${spec%%:*}; type=${spec##*:}
  model="$MODELS_DIR/$shape-$type.gguf"
  [ -f "$model" ] || "$STRATA" synth --shape "$shape" --type "$type" "$model" 2>/dev/null
  echo "== $shape $type ($(du -h "$model" | cut -f1)), $THREADS threads"
  "$STRATA" bench -m "$model" -p 128 -n 64 -t "$THREADS" -r "$REPS" >/tmp/strata-bench.out 2>/tmp/strata-bench.err
  ours=$(cat /tmp/strata-bench.out); cat /tmp/strata-bench.out; grep -E "load|peak" /tmp/strata-bench.err
  if [ -n "${LLAMA_BENCH:-}" ]; then
    theirs=$("$LLAMA_BENCH" -m "$model" -p 128 -n 64 -t "$THREADS" -r "$REPS" 2>/dev/null | grep -E "pp128|tg64")
    echo "$theirs"
    for t in pp128 tg64; do
      a=$(rate "$ours" "$t"); b=$(rate "$theirs" "$t")
      [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v t="$t" 'BEGIN { printf "%s: strata / llama.cpp = %.2f\n", t, a / b }'
    done
  fi
done
