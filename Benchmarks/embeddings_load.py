#!/usr/bin/env python3
"""Load on a running `strata serve --model models/minilm`: N clients each send one-sentence
/v1/embeddings requests back to back for a fixed time; prints requests/s and latency per
concurrency level. Shows what merging concurrent requests into shared batches buys.

    .build/release/strata serve --model models/minilm --threads 2 &
    python3 Benchmarks/embeddings_load.py --url http://127.0.0.1:8080 --clients 1,4,16,32
"""
import argparse
import json
import statistics
import threading
import time
import urllib.request

SENTENCES = [
    "A man is playing a guitar.",
    "How do I reset my password if I no longer have access to my email account?",
    "Quarterly revenue grew by 12 percent, driven mostly by strong demand in the cloud division.",
    "Cats sleep for most of the day.",
]


def client(url, deadline, latencies, errors, index):
    i = index
    while time.monotonic() < deadline:
        body = json.dumps({"input": SENTENCES[i % len(SENTENCES)]}).encode()
        request = urllib.request.Request(url + "/v1/embeddings", data=body, headers={"Content-Type": "application/json"})
        start = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                json.load(response)
            latencies.append(time.monotonic() - start)
        except Exception as e:  # 429s and failures are counted, not retried
            errors.append(str(e))
        i += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--clients", default="1,4,16,32")
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    print("| clients | requests/s | p50 ms | p99 ms | errors |")
    print("|---:|---:|---:|---:|---:|")
    for n in [int(c) for c in args.clients.split(",")]:
        latencies, errors = [], []
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=client, args=(args.url, deadline, latencies, errors, i)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
        print(f"| {n} | {len(latencies) / args.seconds:.1f} | {statistics.median(latencies) * 1000 if latencies else 0:.1f} "
              f"| {p99 * 1000:.1f} | {len(errors)} |")


if __name__ == "__main__":
    main()
