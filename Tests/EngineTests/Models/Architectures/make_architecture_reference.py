#!/usr/bin/env python3
"""Writes architecture_reference.json: for each architecture, a random-weight F32 model that
`strata synth` writes (the tests write the same bytes with `ModelSynth`; the file's sha256 is
recorded, as FNV-1a 64 of its bytes, so a changed generator shows as such), llama.cpp's logits at every position of a
32-token prompt, and llama.cpp's 32 greedy tokens after it.

llama.cpp runs through llama-cpp-python against an existing llama.cpp build's shared
libraries (this script builds nothing):

    LLAMA_CPP_LIB_PATH=/path/to/llama.cpp/build/bin python3 make_architecture_reference.py \\
        --strata .build/release/strata --llama-build b11312 > architecture_reference.json

Logits are stored as base64 of little-endian float32 ([positions][vocab]).
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from llama_cpp import Llama

# case -> (architecture, more strata synth arguments). All use the `tiny` shape (dim 64, hidden
# 192, 2 layers, 4 heads, 2 kv heads), stories260K's 512-token vocabulary, F32, varied norms, seed 11.
CASES = {
    "llama": ("llama", []),
    "llama3": ("llama", ["--rope-freqs"]),  # Llama 3.1's RoPE frequency divisors
    "qwen2": ("qwen2", []),
    "qwen3": ("qwen3", ["--head-dim", "32"]),
    # layer 0 slides over 8 positions (local RoPE base), layer 1 is global (base 1e6, linear x8)
    "gemma3": ("gemma3", ["--head-dim", "32", "--sliding-window", "8"]),
    # fused QKV and gate/up; short RoPE factors (the context is within the trained 512)
    "phi3": ("phi3", ["--rope-freqs"]),
    # long RoPE factors and the attention factor: both sides run beyond the original 64 positions
    "phi3-long": ("phi3", ["--rope-freqs", "--original-context", "64"]),
    "exaone": ("exaone", ["--rope-freqs"]),
}
PROMPT = [1, 403, 385, 410, 317, 407, 21, 94, 59, 300, 489, 12, 77, 256, 131, 500,
          2, 45, 367, 88, 199, 402, 3, 511, 64, 128, 271, 30, 9, 333, 444, 222]


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def synth(strata, arch, extra, path):
    subprocess.run([strata, "synth", "--arch", arch, "--shape", "tiny", "--type", "f32", "--varied-norms", "--seed", "11",
                    "--vocab", "models/stories260K.gguf", *extra, path], check=True, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--strata", required=True)
    parser.add_argument("--llama-build", required=True, help="the llama.cpp build the libraries come from, for the record")
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    out = {"llama_cpp": args.llama_build, "prompt": PROMPT, "cases": {}}
    for case, (arch, extra) in CASES.items():
        if args.only and case not in args.only:
            continue
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, f"{case}.gguf")
            synth(args.strata, arch, extra, path)
            digest = fnv1a64(open(path, "rb").read())
            llm = Llama(model_path=path, n_ctx=128, n_batch=64, n_threads=2, logits_all=True, verbose=False)
            llm.eval(PROMPT)
            logits = np.array(llm.scores[:len(PROMPT)], dtype=np.float32)
            greedy = []
            for _ in range(32):
                token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
                greedy.append(token)
                llm.eval([token])
            del llm
        out["cases"][case] = {
            "architecture": arch,
            "synth": ["--arch", arch, "--shape", "tiny", "--type", "f32", "--varied-norms", "--seed", "11", *extra],
            "fnv1a64": digest,
            "logits": base64.b64encode(logits.astype("<f4").tobytes()).decode(),
            "greedy": greedy,
        }
        print(f"{case}: fnv1a64 {digest}, logits {logits.shape}, greedy {greedy[:8]}...", file=sys.stderr)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
