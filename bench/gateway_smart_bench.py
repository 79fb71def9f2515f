#!/usr/bin/env python3
"""Smart routing and coalescing through themisd's gateway (issue 23; a
benchmark, not a test; numbers in docs/gateway.md).

1. Skewed pool: three Python upstreams, one with a slow tail (10% of its
   answers take 100 ms). The same load (8 client threads, keep-alive) goes
   through a round_robin route and a smart route (p99_threshold_ms 50) on
   clusters of the same three endpoints; prints p50/p99/max per policy.
2. Coalescing: bursts of 50 concurrent identical GETs on a 200 ms
   upstream, coalesce on vs off: upstream calls per burst and latency.

  /usr/bin/python3 bench/gateway_smart_bench.py [requests per policy, 3000]
Needs build/themisd (or THEMISD=...)."""

import http.client
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from themis_harness import Server  # noqa: E402
from gateway_upstreams import Upstream  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
THREADS = 8


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def load(port, path, n):
    lat = []
    lock = threading.Lock()

    def worker(count):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        for _ in range(count):
            t0 = time.perf_counter()
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            assert r.status == 200, r.status
            mine.append((time.perf_counter() - t0) * 1000)
        c.close()
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=worker, args=(n // THREADS,))
          for _ in range(THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return lat


def main():
    ups = [Upstream("u%d" % i) for i in range(3)]
    slow = ups[2]
    co = Upstream("co")
    d = tempfile.mkdtemp(prefix="themis_gwb_")
    f = os.path.join(d, "gateway.yaml")
    eps = ", ".join(u.address for u in ups)
    with open(f, "w") as fh:
        fh.write("""
clusters:
  - {name: rr, endpoints: [%s]}
  - name: smart
    lb: smart
    endpoints: [%s]
    smart: {window: 64, p99_threshold_ms: 50, min_samples: 20}
  - {name: co, endpoints: [%s]}
routes:
  - {match: {prefix: /rr}, forward: {cluster: rr, retries: 0}}
  - {match: {prefix: /smart}, forward: {cluster: smart, retries: 0}}
  - {match: {prefix: /co/on}, forward: {cluster: co, coalesce: true,
     max_waiters: 1000}}
  - {match: {prefix: /co/off}, forward: {cluster: co}}
""" % (eps, eps, co.address))
    srv = Server(["--set", "gateway.file=" + f]).start()
    try:
        print("skewed pool: 3 upstreams, one answers 10%% of requests in "
              "100 ms; %d GETs, %d keep-alive clients" % (N, THREADS))
        for name in ("rr", "smart"):
            slow.tail = (0.10, 100)
            load(srv.port, "/%s/warm" % name, 400)  # fill the windows
            for u in ups:
                u.reset()
            slow.tail = (0.10, 100)
            lat = load(srv.port, "/%s/x" % name, N)
            print("  %-12s p50 %6.2f ms  p99 %7.2f ms  max %7.2f ms  "
                  "share of the slow upstream %4.1f%%" % (
                      "round_robin" if name == "rr" else "smart",
                      pct(lat, 50), pct(lat, 99), max(lat),
                      100.0 * slow.count() / max(1, sum(
                          u.count() for u in ups))))
        print("coalescing: bursts of 50 concurrent identical GETs, "
              "upstream 200 ms")
        co.slow_ms = 200
        for mode in ("off", "on"):
            calls, lats = [], []
            for i in range(5):
                co.reset()
                co.slow_ms = 200

                def one(_):
                    t0 = time.perf_counter()
                    st, _, _ = srv.request("GET", "/co/%s/item?k=%d" % (
                        mode, i))
                    assert st == 200, st
                    return (time.perf_counter() - t0) * 1000

                with ThreadPoolExecutor(50) as ex:
                    lats += list(ex.map(one, range(50)))
                calls.append(co.count())
            print("  coalesce %-3s upstream calls per burst %5.1f  "
                  "p50 %6.1f ms  p99 %6.1f ms" % (
                      mode, sum(calls) / len(calls), pct(lats, 50),
                      pct(lats, 99)))
    finally:
        srv.stop()
        srv.cleanup()
        for u in ups + [co]:
            u.close()


if __name__ == "__main__":
    main()
