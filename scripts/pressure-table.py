#!/usr/bin/env python3
"""Prints the pressure scenarios' JSON report lines (STRATA_PRESSURE_REPORT) as a Markdown table."""
import json
import sys


def mib(n):
    return f"{n / 2**20:.1f}" if n else "-"


rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| scenario | sent | accepted | completed | refused | lost | budget MiB | peak accounted MiB "
      "| peak RSS MiB | compressions | preemptions | prefix hits | p99 TTFT s | connections held |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    budget = r["budget_bytes"] if r["budget_bytes"] < 2**33 else 0  # the default (half of RAM): not a constraint
    ttft = r.get("p99_ttft_s")
    print(f"| {r['scenario']} | {r['sent']} | {r['accepted']} | {r['completed']} | {r['refused']} | {r['lost']} "
          f"| {mib(budget) if budget else 'default'} | {mib(r['peak_accounted_bytes'])} | {mib(r['peak_rss_bytes'])} "
          f"| {r['compressions']} | {r['preemptions']} | {r['prefix_hits']} | {'<= %g' % ttft if ttft else '-'} "
          f"| {r['connections_held'] or '-'} |")
for r in rows:
    if r.get("notes"):
        print(f"\n- {r['scenario']}: {r['notes']}")
