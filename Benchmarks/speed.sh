#!/usr/bin/env bash
# Speed on random-weight models, in llama-bench's terms (pp = prompt tokens/s in one batch,
# tg = generated tokens/s one at a time), side by side with llama.cpp when it is given.
#
#   Benchmarks/speed.sh                       strata only
#   LLAMA_BENCH=/path/to/llama-bench Benchmarks/speed.sh
#                                             also llama.cpp's llama-bench on the same files
#
# Each round runs every test once with strata, then once with llama-bench, so both see the same
# machine state; a row reports each side's median t/s over the rounds and the median of the
# per-round ratios strata / llama.cpp (shared machines drift: read the ratios). For tg rows it
# also gives the weight bandwidth strata reached, next to the machine's (strata bench --bandwidth).
#
# Environment: THREADS (2), ROUNDS (3), MODELS_DIR (/tmp/strata-bench), TESTS ("pp128 pp512 tg64"),
# SHAPES ("stories110M:f32 stories110M:q8_0 tinyllama-1.1b:q8_0 tinyllama-1.1b:q4_0").
# Models are generated once with `strata synth` and reused; they are never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
MODELS_DIR=${MODELS_DIR:-/tmp/strata-bench}
TESTS=${TESTS:-"pp128 pp512 tg64"}
SHAPES=${SHAPES:-"stories110M:f32 stories110M:q8_0 tinyllama-1.1b:q8_0 tinyllama-1.1b:q4_0"}
STRATA=.build/release/strata
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS" "$RESULTS.read"' EXIT
mkdir -p "$MODELS_DIR"

# The avg_ts of the single result in a JSON array (both tools print one), and a field of it.
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$1"; }

args() {  # test name -> "-p N -n 0" or "-p 0 -n N"
  case $1 in pp*) echo "-p ${1#pp} -n 0" ;; tg*) echo "-p 0 -n ${1#tg}" ;; esac
}

"$STRATA" bench -p 0 -n 1 -t "$THREADS" -r 1 --bandwidth --json | field read_gbps >"$RESULTS.read"
echo "machine: threaded read $(cat "$RESULTS.read") GB/s with $THREADS threads"

for spec in $SHAPES; do
  shape=${spec%%:*}; type=${spec##*:}
  model="$MODELS_DIR/$shape-$type.gguf"
  [ -f "$model" ] || "$STRATA" synth --shape "$shape" --type "$type" "$model" 2>/dev/null
  for round in $(seq "$ROUNDS"); do
    for test in $TESTS; do
      json=$("$STRATA" bench -m "$model" $(args "$test") -t "$THREADS" -r 1 --json 2>/dev/null)
      ours=$(field avg_ts <<<"$json")
      gbps=$([ "${test#tg}" != "$test" ] && field weights_gbps <<<"$json" || echo -)
      theirs=-
      if [ -n "${LLAMA_BENCH:-}" ]; then
        theirs=$("$LLAMA_BENCH" -m "$model" $(args "$test") -t "$THREADS" -r 1 -o json 2>/dev/null | field avg_ts)
      fi
      echo "$shape $type $test $ours $theirs $gbps" >>"$RESULTS"
    done
  done
done

python3 - "$RESULTS" "$(cat "$RESULTS.read")" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    shape, dtype, test, ours, theirs, gbps = line.split()
    rows.setdefault((shape, dtype, test), []).append((float(ours), None if theirs == "-" else float(theirs), gbps))
print(f"| model | test | strata t/s | llama.cpp t/s | ratio | strata weights GB/s (machine read {sys.argv[2]}) |")
print("|---|---|---:|---:|---:|---:|")
for (shape, dtype, test), runs in rows.items():
    ours = statistics.median(r[0] for r in runs)
    theirs = [r[1] for r in runs if r[1] is not None]
    ratio = statistics.median(r[0] / r[1] for r in runs if r[1]) if theirs else None
    gbps = statistics.median(float(r[2]) for r in runs) if runs[0][2] != "-" else None
    print(f"| {shape} {dtype} | {test} | {ours:.1f} | {statistics.median(theirs) if theirs else float('nan'):.1f} | "
          f"{f'{ratio:.2f}' if ratio else '-'} | {f'{gbps:.1f}' if gbps else ''} |")
EOF
rm -f "$RESULTS.read"
