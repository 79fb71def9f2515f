"""Full-text search through themisd (issue 32; not a test): n generated
documents (Zipf-distributed words from a 5,000-word vocabulary, 30 words
each) indexed by FTS5 (unicode61), then single-word, two-word AND,
phrase and prefix queries one at a time on a keep-alive connection:
queries per second, latency percentiles and the server's CPU time per
query (utime + stime of themisd from /proc/PID/stat, before and after each
kind) per kind; the same single-word query through SQL's themis_fulltext()
when psycopg is installed. bench/fts_bench.sh runs it on 100,000 documents.
usage: fts_bench.py [n=20000] [queries=500]"""

import http.client
import json
import os
import random
import sys
import time

try:
    import psycopg
except ImportError:  # the SQL row is left out
    psycopg = None

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from themis_harness import Server  # noqa: E402


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def report(kind, lat, total, cpu, nq, hits):
    lat.sort()
    print("%-22s limit 10: %5.0f QPS, p50 %.2f ms, p99 %.2f ms, "
          "server CPU %4.0f us/query, %.1f hits/query"
          % (kind, nq / total, lat[len(lat) // 2], lat[len(lat) * 99 // 100],
             cpu * 1e6 / nq, hits / nq))


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
        pid = srv.proc.pid
        kinds = {
            "one word": lambda: rng.choice(mid),
            "one frequent word": lambda: rng.choice(vocab[:10]),
            "two words (AND)": lambda: rng.choice(mid) + " " + rng.choice(mid),
            "phrase": lambda: '"%s %s"' % (rng.choice(vocab[:20]),
                                           rng.choice(vocab[:20])),
            "prefix": lambda: rng.choice(mid)[:4] + "*",
        }
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        for kind, make in kinds.items():
            lat = []
            hits = 0
            c0 = cpu_s(pid)
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
            report(kind, lat, total, cpu_s(pid) - c0, nq, hits)
        if psycopg is not None:
            pg = psycopg.connect(host="127.0.0.1", port=srv.pg_port,
                                 user="themis", password="themis",
                                 dbname="themis", autocommit=True,
                                 connect_timeout=10)
            with pg, pg.cursor() as cur:
                lat, hits = [], 0
                c0 = cpu_s(pid)
                t0 = time.time()
                for _ in range(nq):
                    t = time.perf_counter()
                    cur.execute("SELECT _key, score FROM themis_fulltext("
                                "'docs', 'text', %s, 10)", (rng.choice(mid),))
                    hits += len(cur.fetchall())
                    lat.append((time.perf_counter() - t) * 1000)
                report("one word (SQL)", lat, time.time() - t0,
                       cpu_s(pid) - c0, nq, hits)
    finally:
        srv.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
