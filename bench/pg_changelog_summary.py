#!/usr/bin/env python3
"""Summarises bench/pg_changelog_bench.sh output (one JSON line per run,
several rounds): per strategy, writers and node writers, the median
commits/s with its min-max over the rounds, median p50/p99, commits per
WAL flush, and the reader's skips summed over all rounds.
Usage: pg_changelog_summary.py FILE... (markdown table on stdout)"""
import json
import statistics
import sys

runs = {}
for path in sys.argv[1:]:
    for line in open(path):
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        runs.setdefault((r["strategy"], r.get("node_writers", 0), r["writers"]), []).append(r)

print("| strategy | node writers | writers | rounds | commits/s median (min–max) "
      "| p50 ms | p99 ms | commits per WAL flush | reader skips | log dense |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
order = ["a", "a_rt", "ab", "abf", "b", "seq"]
for key in sorted(runs, key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1], k[2])):
    rs = runs[key]
    cps = [r["commits_per_s"] for r in rs]
    med = lambda f: statistics.median(r[f] for r in rs if r[f] is not None)
    cpf = [r["commits_per_sync"] for r in rs if r.get("commits_per_sync")]
    print("| %s | %s | %d | %d | %s (%s–%s) | %.1f | %.1f | %s | %d | %s |" % (
        key[0], key[1] or "–", key[2], len(rs), f"{statistics.median(cps):,.0f}",
        f"{min(cps):,.0f}", f"{max(cps):,.0f}", med("p50_ms"), med("p99_ms"),
        f"{statistics.median(cpf):.1f}" if cpf else "–",
        sum(r["reader_skips"] or 0 for r in rs),
        "yes" if all(r["dense"] for r in rs) else "NO"))
