#!/usr/bin/env bash
# Speed on random-weight models (and real files), in llama-bench's terms (pp = prompt tokens/s
# in one batch, tg = generated tokens/s one at a time), side by side with llama.cpp when given.
#
#   Benchmarks/speed.sh                       strata only
#   LLAMA_BENCH=/path/to/llama-bench Benchmarks/speed.sh
#                                             also llama.cpp's llama-bench on the same files
#
# Each round runs every test once with strata, then once with llama-bench, so both see the same
# machine state; a row reports each side's median t/s over the rounds, the median of the
# per-round ratios strata / llama.cpp (shared machines drift: read the ratios), and each side's
# peak RSS (the largest over the rounds, from /usr/bin/time). For tg rows it also gives the
# weight bandwidth strata reached, next to the machine's (strata bench --bandwidth).
#
# Environment: THREADS (2), ROUNDS (3), REPS (repetitions per tool and round: 1), MODELS_DIR (/tmp/strata-bench), TESTS ("pp128 pp512 tg64"),
# SHAPES (default below). A shape is `preset:type`, where type is anything `strata synth` writes
# (f32, f16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q6_K, ...) or a mix `strata quantize` writes
# from an F16 synth (q4_K_M, q5_K_M, ...), or `file:/path/to/model.gguf` for a real file.
# Generated models are made once and reused; they are never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-1}
MODELS_DIR=${MODELS_DIR:-/tmp/strata-bench}
TESTS=${TESTS:-"pp128 pp512 tg64"}
SHAPES=${SHAPES:-"tinyllama-1.1b:q4_K_M tinyllama-1.1b:q5_K_M tinyllama-1.1b:q6_K tinyllama-1.1b:q4_1 tinyllama-1.1b:q4_0 tinyllama-1.1b:q8_0 file:models/SmolLM2-135M-Instruct.Q4_1.gguf stories15M:f32 stories110M:f32"}
STRATA=.build/release/strata
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS" "$RESULTS".*' EXIT
mkdir -p "$MODELS_DIR"

# A field of the single result in a JSON array (both tools print one).
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$1"; }

args() {  # test name -> "-p N -n 0" or "-p 0 -n N"
  case $1 in pp*) echo "-p ${1#pp} -n 0" ;; tg*) echo "-p 0 -n ${1#tg}" ;; esac
}

# Runs a command with its JSON on stdout and its peak RSS (KiB) in "$RESULTS.rss".
measured() { /usr/bin/time -f %M -o "$RESULTS.rss" "$@" 2>/dev/null; }

# The model file for a shape spec, made on first use.
model_for() {
  local spec=$1 shape=${1%%:*} type=${1#*:}
  if [ "$shape" = file ]; then echo "$type"; return; fi
  local model="$MODELS_DIR/$shape-$type.gguf"
  if [ ! -f "$model" ]; then
    if ! "$STRATA" synth --shape "$shape" --type "$type" "$model" >/dev/null 2>&1; then
      local f16="$MODELS_DIR/$shape-f16.gguf"
      [ -f "$f16" ] || "$STRATA" synth --shape "$shape" --type f16 "$f16" >/dev/null 2>&1
      "$STRATA" quantize "$f16" "$model" --type "$type" >/dev/null 2>&1
    fi
  fi
  echo "$model"
}

"$STRATA" bench -p 0 -n 1 -t "$THREADS" -r 1 --bandwidth --json | field read_gbps >"$RESULTS.read"
echo "machine: threaded read $(cat "$RESULTS.read") GB/s with $THREADS threads"

for spec in $SHAPES; do
  model=$(model_for "$spec")
  [ -f "$model" ] || { echo "skipping $spec: no $model" >&2; continue; }
  name=$([ "${spec%%:*}" = file ] && basename "$model" .gguf || echo "${spec/:/ }")
  for round in $(seq "$ROUNDS"); do
    for test in $TESTS; do
      # A test longer than the model's context (stories15M says 256) is skipped.
      json=$(measured "$STRATA" bench -m "$model" $(args "$test") -t "$THREADS" -r "$REPS" --json) || continue
      ours=$(field avg_ts <<<"$json"); ours_rss=$(cat "$RESULTS.rss")
      gbps=$([ "${test#tg}" != "$test" ] && field weights_gbps <<<"$json" || echo -)
      theirs=- theirs_rss=-
      if [ -n "${LLAMA_BENCH:-}" ]; then
        theirs=$(measured "$LLAMA_BENCH" -m "$model" $(args "$test") -t "$THREADS" -r "$REPS" -o json | field avg_ts)
        theirs_rss=$(cat "$RESULTS.rss")
      fi
      echo "${name// /_} $test $ours $theirs $gbps $ours_rss $theirs_rss" >>"$RESULTS"
    done
  done
done

python3 - "$RESULTS" "$(cat "$RESULTS.read")" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, test, ours, theirs, gbps, ours_rss, theirs_rss = line.split()
    rows.setdefault((name, test), []).append(
        (float(ours), None if theirs == "-" else float(theirs), gbps, int(ours_rss), None if theirs_rss == "-" else int(theirs_rss)))
mib = lambda kib: f"{kib / 1024:.0f}"
print(f"| model | test | strata t/s | llama.cpp t/s | ratio | strata / llama.cpp peak RSS MiB | strata weights GB/s (machine read {sys.argv[2]}) |")
print("|---|---|---:|---:|---:|---:|---:|")
for (name, test), runs in rows.items():
    ours = statistics.median(r[0] for r in runs)
    theirs = [r[1] for r in runs if r[1] is not None]
    ratio = statistics.median(r[0] / r[1] for r in runs if r[1]) if theirs else None
    gbps = statistics.median(float(r[2]) for r in runs) if runs[0][2] != "-" else None
    rss = mib(max(r[3] for r in runs)) + (" / " + mib(max(r[4] for r in runs)) if runs[0][4] is not None else "")
    print(f"| {name.replace('_', ' ')} | {test} | {ours:.1f} | {statistics.median(theirs) if theirs else float('nan'):.1f} | "
          f"{f'{ratio:.2f}' if ratio else '-'} | {rss} | {f'{gbps:.1f}' if gbps else ''} |")
EOF
