#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/Package.swift) and runs each for FUZZ_SECONDS, one after
# another, from a copy of its committed seed corpus (Fuzz/Corpus/<target>, copied to
# .build-fuzz/corpus/<target>, so the committed corpus only grows when someone merges into it).
# Stops at the first finding (crash, timeout, memory limit) and prints where its input is.
#
#   FUZZ_SECONDS=60          per target
#   FUZZ_TARGETS="FuzzGGUF"  a subset (default: all)
#   FUZZ_FLAGS="-jobs=2"     more libFuzzer flags
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
ALL="FuzzGGUF FuzzSafetensors FuzzLlama2C FuzzLlama2CTokenizer FuzzTokenizerJSON FuzzChatTemplate FuzzRequest FuzzStructuredOutput"
TARGETS=${FUZZ_TARGETS:-$ALL}
SCRATCH=.build-fuzz
BIN=Fuzz/.build/release

# The dictionary each target mutates with (none for the llama2.c formats: all numbers).
dictionary() {
    case $1 in
        FuzzGGUF) echo Fuzz/Dictionaries/gguf.dict ;;
        FuzzSafetensors) echo Fuzz/Dictionaries/safetensors.dict ;;
        FuzzTokenizerJSON) echo Fuzz/Dictionaries/tokenizer-json.dict ;;
        FuzzChatTemplate) echo Fuzz/Dictionaries/jinja.dict ;;
        FuzzRequest | FuzzStructuredOutput) echo Fuzz/Dictionaries/request.dict ;;
    esac
}

# Coverage instrumentation and AddressSanitizer on every module (one -sanitize flag: given
# twice, the driver passes only the last to the compiler); -enable-testing for FuzzRequest's
# @testable import of Server.
swift build --package-path Fuzz -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing

# Swift's backtracer would catch the crash before libFuzzer writes its input.
export SWIFT_BACKTRACE=enable=no

mkdir -p "$SCRATCH/logs"
for target in $TARGETS; do
    corpus=$SCRATCH/corpus/$target
    artifacts=$SCRATCH/artifacts/$target/
    mkdir -p "$corpus" "$artifacts"
    cp -n Fuzz/Corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    dict=$(dictionary "$target")
    log=$SCRATCH/logs/$target.log
    echo "== $target: $SECONDS_PER_TARGET s, corpus $corpus, log $log"
    # Limits: a parser may refuse what is huge, never allocate it (a gigabyte because a header
    # says so is a finding), and every input must finish in seconds.
    set +e
    "$BIN/$target" "$corpus" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -artifact_prefix="$artifacts" -print_final_stats=1 ${dict:+-dict=$dict} ${FUZZ_FLAGS:-} >"$log" 2>&1
    status=$?
    set -e
    grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec' "$log" | tr '\n' ' ' || true
    echo
    if [ $status -ne 0 ]; then
        finding=$(ls -t "$artifacts" | head -1)
        tail -40 "$log"
        echo
        echo "$target: finding (exit $status); input: $artifacts$finding"
        echo "reproduce: SWIFT_BACKTRACE=enable=no $BIN/$target $artifacts$finding"
        exit 1
    fi
done
echo "no findings: $TARGETS"
