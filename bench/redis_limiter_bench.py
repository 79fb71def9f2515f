#!/usr/bin/env python3
"""What the Redis rate-limit backend costs per request (issue 25; not a test).

  python3 bench/redis_limiter_bench.py [--duration 5] [--runs 2]

Starts its own redis-server on a free loopback port, then themisd three
times in the same run: limiter off, local backend, redis backend, each
with a limit high enough never to refuse (every request pays a full
decision). wrk (1 thread) drives GET /v1/collections with 16 keep-alive
connections (decisions/s per node = requests/s, themisd CPU µs/request)
and with 1 connection (latency p50/p99 without queueing: the added
latency of a Redis round trip through the limiter actor). Best of --runs.
Prints Markdown for docs/cluster.md."""

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


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    assert m, "unexpected wrk latency %r" % text
    v = float(m.group(1))
    return {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[m.group(2)]


def wrk(url, conns, duration):
    out = subprocess.run(["wrk", "-t1", "-c%d" % conns, "-d%ds" % duration,
                          "--latency", url], capture_output=True,
                         text=True).stdout
    assert "requests in" in out, out
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    assert not re.search(r"Non-2xx or 3xx responses: (\d+)", out), out
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    return reqs, p50, p99


def run_case(themisd, extra, duration):
    data = tempfile.mkdtemp(prefix="themis_rl_bench_")
    port = free_port()
    proc = subprocess.Popen([themisd, "--http-port", str(port), "--data-dir",
                             data, "--pg-port", "0", "--mqtt-port", "0",
                             "--log-level", "warn"] + extra,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = "http://127.0.0.1:%d" % port
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/health/ready").read()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)  # the Redis link's handshake
        cpu0 = cpu_seconds(proc.pid)
        reqs, _, _ = wrk(url + "/v1/collections", 16, duration)
        cpu = cpu_seconds(proc.pid) - cpu0
        _, p50, p99 = wrk(url + "/v1/collections", 1, duration)
        return reqs / duration, cpu / reqs * 1e6, p50, p99
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--themisd", default=os.path.join(ROOT, "build", "themisd"))
    args = ap.parse_args()
    rport = free_port()
    rdir = tempfile.mkdtemp(prefix="themis_rl_bench_redis_")
    redis = subprocess.Popen(["redis-server", "--port", str(rport), "--bind",
                              "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", rdir], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        rule = ["--set", "rate_limiting.enabled=true",
                "--set", "rate_limiting.rules=/ 100000000/1s key=ip"]
        cases = [
            ("limiter off", []),
            ("local backend (token bucket, per IP)", rule),
            ("redis backend (token bucket, per IP)", rule + [
                "--set", "rate_limiting.backend=redis",
                "--set", "rate_limiting.redis.url=redis://127.0.0.1:%d/0"
                % rport]),
        ]
        print("| GET /v1/collections, wrk -t1 | decisions (requests)/s, -c16 "
              "| themisd CPU µs/req, -c16 | p50 ms, -c1 | p99 ms, -c1 |")
        print("|---|---:|---:|---:|---:|")
        for name, extra in cases:
            best = max((run_case(args.themisd, extra, args.duration)
                        for _ in range(args.runs)), key=lambda r: r[0])
            print("| %s | %.0f | %.1f | %.3f | %.3f |" % ((name,) + best))
        redis_cpu = cpu_seconds(redis.pid)
        print("\nredis-server CPU over the whole run: %.2f s" % redis_cpu)
    finally:
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(rdir, ignore_errors=True)


if __name__ == "__main__":
    main()
