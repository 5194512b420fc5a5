#!/usr/bin/env python3
"""Side-by-side embedding throughput: `strata embed --bench` against sentence-transformers
(PyTorch, CPU) on the same model directory, sentences, batch sizes and thread count.

Each round runs strata, then the reference, once per batch size; the ratio reported is the
median over rounds of strata's sentences/s over the reference's, since shared machines drift.

    python3 Benchmarks/embeddings_compare.py --python /path/to/venv/bin/python --threads 2

--python names an interpreter with sentence-transformers installed (it is not a dependency of
this project). Both sides load models/minilm; peak RSS is each process's VmHWM.
"""
import argparse
import json
import pathlib
import re
import statistics
import subprocess
import sys

def default_sentences():
    """`strata embed --bench`'s own sentence set (BenchSentences in EmbedCommand.swift), so both
    sides time the text strata times by default and the list lives in one place."""
    source = pathlib.Path(__file__).resolve().parent.parent / "Sources/strata/EmbedCommand.swift"
    body = source.read_text().split("static let all = [", 1)[1].split("]", 1)[0]
    return [json.loads(literal) for literal in re.findall(r'"(?:[^"\\]|\\.)*"', body)]


SENTENCES = default_sentences()

REFERENCE = r"""
import json, sys, time
import torch
from sentence_transformers import SentenceTransformer
model_dir, threads, batches, reps = sys.argv[1], int(sys.argv[2]), [int(b) for b in sys.argv[3].split(",")], int(sys.argv[4])
sentences = json.loads(sys.stdin.read())
torch.set_num_threads(threads)
model = SentenceTransformer(model_dir, device="cpu")
out = {}
with torch.inference_mode():
    for b in batches:
        inputs = [sentences[i % len(sentences)] for i in range(b)]
        model.encode(inputs, batch_size=b)
        total = 0.0
        for _ in range(reps):
            start = time.perf_counter()
            model.encode(inputs, batch_size=b)
            total += time.perf_counter() - start
        out[b] = b / (total / reps)
peak = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) * 1024
print(json.dumps({"rates": out, "peak": peak}))
"""


def run_strata(args, batches):
    cmd = [args.strata, "embed", "--model", args.model, "--bench", "-t", str(args.threads),
           "--batch", ",".join(map(str, batches)), "-r", str(args.reps)] + SENTENCES
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rates = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|", line)
        if m:
            rates[int(m.group(1))] = float(m.group(2))
    m = re.search(r"peak RSS ([\d.]+) (\w+)", text)
    units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    peak = float(m.group(1)) * units[m.group(2)] if m else 0
    return rates, peak


def run_reference(args, batches):
    cmd = [args.python, "-c", REFERENCE, args.model, str(args.threads), ",".join(map(str, batches)), str(args.reps)]
    result = subprocess.run(cmd, check=True, capture_output=True, text=True, input=json.dumps(SENTENCES))
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return {int(k): v for k, v in data["rates"].items()}, data["peak"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strata", default=".build/release/strata")
    parser.add_argument("--model", default="models/minilm")
    parser.add_argument("--python", default=sys.executable, help="interpreter with sentence-transformers")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", default="1,8,32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    batches = [int(b) for b in args.batch.split(",")]
    ours, theirs, ratios = {b: [] for b in batches}, {b: [] for b in batches}, {b: [] for b in batches}
    peaks = ([], [])
    for r in range(args.rounds):
        s, sp = run_strata(args, batches)
        t, tp = run_reference(args, batches)
        peaks[0].append(sp)
        peaks[1].append(tp)
        for b in batches:
            ours[b].append(s[b])
            theirs[b].append(t[b])
            ratios[b].append(s[b] / t[b])
        print(f"round {r + 1}: " + ", ".join(f"batch {b} {s[b]:.1f} vs {t[b]:.1f}" for b in batches), file=sys.stderr)
    print(f"{len(SENTENCES)} sentences, {args.threads} threads, {args.rounds} rounds x {args.reps} repetitions")
    print("| batch | strata sentences/s | sentence-transformers sentences/s | ratio (median of rounds) |")
    print("|---:|---:|---:|---:|")
    for b in batches:
        print(f"| {b} | {statistics.median(ours[b]):.1f} | {statistics.median(theirs[b]):.1f} | {statistics.median(ratios[b]):.2f} |")
    print(f"peak RSS: strata {max(peaks[0]) / 2**20:.0f} MiB, sentence-transformers {max(peaks[1]) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
