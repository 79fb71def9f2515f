#!/usr/bin/env python3
"""What rate limiting costs per HTTP request (not a test).

  python3 bench/overload_bench.py [--duration 5] [--runs 3]

Runs wrk (1 thread, 16 keep-alive connections) against GET /v1/collections
on themisd with the limiter off, and on with a limit high enough never to
refuse (so every request pays the full check and the five header fields),
in the same run. Reports requests/s and themisd CPU µs per request (from
/proc/PID/stat), best of --runs. Prints Markdown for docs/performance.md."""

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from bench_util import cpu_seconds, free_port  # noqa: E402


def run_case(themisd, extra, duration):
    data = tempfile.mkdtemp(prefix="themis_ovl_bench_")
    port = free_port()
    proc = subprocess.Popen([themisd, "--http-port", str(port), "--data-dir", data,
                             "--log-level", "warn"] + extra,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = "http://127.0.0.1:%d" % port
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/health/ready").read()
                break
            except OSError:
                time.sleep(0.05)
        cpu0 = cpu_seconds(proc.pid)
        out = subprocess.run(["wrk", "-t1", "-c16", "-d%ds" % duration,
                              url + "/v1/collections"],
                             capture_output=True, text=True).stdout
        cpu = cpu_seconds(proc.pid) - cpu0
        reqs = int(re.search(r"(\d+) requests in", out).group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        assert not non2xx, out
        return reqs / duration, cpu / reqs * 1e6
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--themisd", default=os.path.join(ROOT, "build", "themisd"))
    args = ap.parse_args()
    cases = [("limiter off", []),
             ("limiter on (token bucket, per IP, never refusing)",
              ["--set", "rate_limiting.enabled=true",
               "--set", "rate_limiting.rules=/ 100000000/1s key=ip"])]
    print("| GET /v1/collections, wrk -t1 -c16 | requests/s | themisd CPU µs/req |")
    print("|---|---:|---:|")
    for name, extra in cases:
        best = max((run_case(args.themisd, extra, args.duration)
                    for _ in range(args.runs)), key=lambda r: r[0])
        print("| %s | %.0f | %.1f |" % (name, best[0], best[1]))


if __name__ == "__main__":
    main()
