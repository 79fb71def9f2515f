"""Full-text search through themisd (issue 32; not a test): n generated
documents (Zipf-distributed words from a 5,000-word vocabulary, 30 words
each) indexed by FTS5 (unicode61), then single-word, two-word AND,
phrase and prefix queries one at a time on a keep-alive connection:
queries per second and latency percentiles per kind.
usage: fts_bench.py [n=20000] [queries=500]"""

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
    nq = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    rng = random.Random(5)
    vocab = ["w%04d" % i for i in range(5000)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    srv = Server().start()
    try:
        st, _, b = srv.json("POST", "/index/create", {
            "table": "docs", "column": "text", "type": "fulltext"})
        assert st == 200, b
        t0 = time.time()
        for start in range(0, n, 1000):
            ops = [{"op": "put", "key": "docs:d%d" % i, "blob": json.dumps({
                "text": " ".join(rng.choices(vocab, weights, k=30))})}
                for i in range(start, min(n, start + 1000))]
            st, _, b = srv.json("POST", "/entities/batch", {"operations": ops})
            assert st == 200 and b["failed"] == 0, b
        st, _, b = srv.json("POST", "/search/fulltext", {
            "table": "docs", "query": "w0001", "limit": 10})
        assert st == 200, b
        print("insert+index %d documents: %.1f s" % (n, time.time() - t0))
        mid = vocab[50:1000]
        kinds = {
            "one word": lambda: rng.choice(mid),
            "two words (AND)": lambda: rng.choice(mid) + " " + rng.choice(mid),
            "phrase": lambda: '"%s %s"' % (rng.choice(vocab[:20]),
                                           rng.choice(vocab[:20])),
            "prefix": lambda: rng.choice(mid)[:4] + "*",
        }
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        for kind, make in kinds.items():
            lat = []
            hits = 0
            t0 = time.time()
            for _ in range(nq):
                body = json.dumps({"table": "docs", "query": make(),
                                   "limit": 10})
                t = time.perf_counter()
                c.request("POST", "/search/fulltext", body,
                          {"Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()
                lat.append((time.perf_counter() - t) * 1000)
                assert r.status == 200, data
                hits += json.loads(data)["count"]
            total = time.time() - t0
            lat.sort()
            print("%-16s limit 10: %5.0f QPS, p50 %.2f ms, p99 %.2f ms, "
                  "%.1f hits/query" % (kind, nq / total, lat[len(lat) // 2],
                                       lat[len(lat) * 99 // 100], hits / nq))
    finally:
        srv.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
