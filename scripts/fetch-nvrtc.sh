#!/usr/bin/env bash
# Fetches NVIDIA's runtime compiler (libnvrtc.so.12 and its builtins) from PyPI's wheel
# nvidia-cuda-nvrtc-cu12 into .build-nvrtc/lib (git-ignored), so the tests compile every CUDA
# kernel source with NVRTC on machines without a GPU. Optional: when the download fails the
# tests that need it say so and skip. Does nothing when it is already there.
set -uo pipefail
cd "$(dirname "$0")/.."
target=.build-nvrtc/lib
[ -f "$target/libnvrtc.so.12" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps 'nvidia-cuda-nvrtc-cu12==12.9.86' -d "$work"; then
    echo "NVRTC not fetched (pip failed): the CUDA kernel compilation tests will be skipped" >&2
    exit 0
fi
python3 - "$work"/nvidia_cuda_nvrtc_cu12-*.whl "$work/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    members = [m for m in wheel.namelist() if m.startswith("nvidia/cuda_nvrtc/lib/") and ".alt." not in m]
    wheel.extractall(sys.argv[2], members)
PY
mkdir -p .build-nvrtc
rm -rf "$target"
mv "$work/unpacked/nvidia/cuda_nvrtc/lib" "$target"
echo "$target: NVRTC $(ls "$target" | tr '\n' ' ')"
