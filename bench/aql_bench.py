#!/usr/bin/env python3
"""AQL and async-job benchmark (not a test).

  python3 bench/aql_bench.py [--docs 100000] [--jobs 200] [--repeat 3]

1. Job round trips: submit `RETURN 1` on /v2/jobs, long-poll its status
   until completed, read its one-row result; sequential, one client.
   Reports jobs/s and themisd CPU per job (from /proc/PID/stat).
2. Scan-heavy queries: the same question as AQL (POST /query/aql) and as
   SQL run directly on the engine's SQLite file (Python's sqlite3, same
   machine, same run) over `--docs` documents. Reports rows scanned per
   second and the AQL/SQL ratio. The SQL side pays no HTTP and no JSON
   rendering of documents; the AQL side parses every matching document
   into a JSON value, which is the cost the ratio shows.

Prints Markdown for docs/performance.md."""

import argparse
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from bench_util import cpu_seconds, free_port  # noqa: E402


class Client:
    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method, path, body=None):
        data = json.dumps(body) if body is not None else None
        self.c.request(method, path, body=data,
                       headers={"Content-Type": "application/json"} if data else {})
        r = self.c.getresponse()
        payload = r.read()
        return r.status, json.loads(payload) if payload else None


def job_round_trips(cl, n, pid):
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    for _ in range(n):
        st, job = cl.call("POST", "/v2/jobs", {"query": "RETURN 1"})
        assert st == 202, job
        while True:
            st, rec = cl.call("GET", "/v2/jobs/%s?wait=5s" % job["job_id"])
            if rec["status"] == "completed":
                break
            assert rec["status"] in ("pending", "running"), rec
        st, page = cl.call("GET", "/v2/jobs/%s/result" % job["job_id"])
        assert page["result"] == [1], page
    wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    return n / wall, cpu / n * 1e6


CASES = [
    ("filter + aggregate (no push-down)",
     "FOR d IN bench FILTER d.v % 7 == 3 COLLECT g = d.g AGGREGATE s = SUM(d.v) "
     "RETURN {g, s}",
     "SELECT json_extract(doc,'$.g') AS g, SUM(json_extract(doc,'$.v')) "
     "FROM documents WHERE collection='bench' AND json_extract(doc,'$.v') % 7 = 3 "
     "GROUP BY g ORDER BY g"),
    ("equality filter (pushed down)",
     "FOR d IN bench FILTER d.g == 'g3' RETURN d.v",
     "SELECT json_extract(doc,'$.v') FROM documents WHERE collection='bench' "
     "AND json_extract(doc,'$.g') = 'g3' ORDER BY key"),
    ("full scan, count",
     "FOR d IN bench COLLECT WITH COUNT INTO n RETURN n",
     "SELECT COUNT(*) FROM documents WHERE collection='bench'"),
]


def best_of(repeat, f):
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--themisd", default=os.path.join(ROOT, "build", "themisd"))
    args = ap.parse_args()

    data = tempfile.mkdtemp(prefix="themis_aql_bench_")
    port = free_port()
    log = open(os.path.join(data, "themisd.log"), "wb")
    proc = subprocess.Popen([args.themisd, "--http-port", str(port), "--data-dir",
                             data, "--log-level", "warn",
                             "--set", "engine.synchronous=normal",
                             "--set", "query.max_rows=10000000",
                             "--set", "query.timeout_ms=600000"],
                            stdout=log, stderr=log)
    try:
        for _ in range(200):
            try:
                cl = Client(port)
                if cl.call("GET", "/health/ready")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        cl.call("POST", "/v1/collections", {"name": "bench"})
        t0 = time.perf_counter()
        st, out = cl.call("POST", "/query/aql", {
            "query": "FOR i IN 1..@n INSERT {v: i, g: CONCAT('g', i % 10), "
                     "pad: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'} INTO bench",
            "bindVars": {"n": args.docs}})
        assert st == 200, out
        load = time.perf_counter() - t0

        rate, cpu_us = job_round_trips(cl, args.jobs, proc.pid)
        print("### AQL jobs and scans (bench/aql_bench.py, %d docs)\n" % args.docs)
        print("Loading %d documents with one AQL INSERT query: %.2f s "
              "(%.0f docs/s, batches of query.write_batch).\n"
              % (args.docs, load, args.docs / load))
        print("| job round trip (submit, wait, read result) | jobs/s | themisd CPU µs/job |")
        print("|---|---:|---:|")
        print("| `RETURN 1`, sequential | %.0f | %.0f |\n" % (rate, cpu_us))

        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data, "themis.db"),
                             uri=True)
        print("| query | AQL rows/s | SQL rows/s | AQL / SQL | themisd CPU µs/row |")
        print("|---|---:|---:|---:|---:|")
        for name, aql, sql in CASES:
            sql_rows = []
            t_sql = best_of(args.repeat,
                            lambda: sql_rows.append(db.execute(sql).fetchall()))
            cpu0 = cpu_seconds(proc.pid)
            results = []
            t_aql = best_of(args.repeat, lambda: results.append(
                cl.call("POST", "/query/aql", {"query": aql})))
            cpu = (cpu_seconds(proc.pid) - cpu0) / args.repeat
            st, body = results[-1]
            assert st == 200, body
            n = args.docs
            print("| %s | %.0f | %.0f | %.2f | %.2f |" % (
                name, n / t_aql, n / t_sql, t_sql / t_aql, cpu / n * 1e6))
        print("\nrows/s = documents in the collection / best-of-%d wall time."
              % args.repeat)
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
