"""/vector/search through themisd (issue 32; not a test): inserts n
generated vectors with /vector/batch_insert, waits for the index, then
runs queries one at a time on a keep-alive connection and prints QPS and
latency percentiles. Recall is the index's own (bench/vector_bench.cpp).
usage: vector_http_bench.py [n=20000] [dim=128] [queries=500]"""

import http.client
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from themis_harness import Server  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    dim = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    nq = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    rng = random.Random(1)
    srv = Server().start()
    try:
        st, _, b = srv.json("POST", "/index/create", {
            "table": "bench", "column": "embedding", "type": "vector",
            "config": {"dimension": dim, "metric": "l2"}})
        assert st == 200, b
        t0 = time.time()
        for start in range(0, n, 1000):
            items = [{"pk": "v%d" % i,
                      "vector": [rng.gauss(0, 1) for _ in range(dim)]}
                     for i in range(start, min(n, start + 1000))]
            st, _, b = srv.json("POST", "/vector/batch_insert",
                                {"table": "bench", "items": items})
            assert st == 200 and b["errors"] == 0, b
        # the first search waits (bounded) for the applier; retry on 503
        q = [rng.gauss(0, 1) for _ in range(dim)]
        while True:
            st, _, b = srv.json("POST", "/vector/search",
                                {"table": "bench", "vector": q, "k": 10})
            if st == 200:
                break
            time.sleep(0.2)
        print("insert+index %d x %d over HTTP: %.1f s" % (n, dim,
                                                         time.time() - t0))
        queries = [json.dumps({"table": "bench", "k": 10, "vector": [
            round(rng.gauss(0, 1), 6) for _ in range(dim)]}) for _ in range(nq)]
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        lat = []
        t0 = time.time()
        for body in queries:
            t = time.perf_counter()
            c.request("POST", "/vector/search", body,
                      {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            assert r.status == 200
            lat.append((time.perf_counter() - t) * 1000)
        total = time.time() - t0
        lat.sort()
        print("/vector/search k=10, one client: %.0f QPS, p50 %.2f ms, "
              "p99 %.2f ms" % (nq / total, lat[len(lat) // 2],
                               lat[len(lat) * 99 // 100]))
    finally:
        srv.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
