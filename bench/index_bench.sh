#!/bin/sh
# Persistent index vs scan (issue 22): a point FILTER on an attribute over
# N documents (default 1,000,000), before and after
# POST /v1/collections/{c}/indexes; also the index build time and a range
# FILTER. Starts build/themisd (or $THEMISD) with a private data dir.
#   bench/index_bench.sh [docs=1000000] [queries=200]
# Numbers: docs/indexes.md#measurements.
cd "$(dirname "$0")/.." || exit 1
exec /usr/bin/python3 - "$@" <<'PY'
import http.client, json, os, statistics, sys, time
sys.path.insert(0, "tests/integration")
from themis_harness import Server

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
Q = int(sys.argv[2]) if len(sys.argv) > 2 else 200

srv = Server(args=["--set", "query.timeout_ms=900000",
                   "--set", "query.max_rows=10000000",
                   "--set", "http.request_timeout_ms=900000"]).start()
try:
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=900)

    def call(method, path, body=None):
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")

    call("POST", "/v1/collections", {"name": "docs"})
    t = time.time()
    done = 0
    while done < N:  # inserts in AQL batches of 200k
        n = min(200000, N - done)
        st, b = call("POST", "/query/aql", {"query":
            "FOR i IN @lo..@hi INSERT {_key: CONCAT('k', i), cust: "
            "CONCAT('c', i % 100000), total: i, pad: 'xxxxxxxxxxxxxxxxxxxx'} "
            "INTO docs", "bindVars": {"lo": done, "hi": done + n - 1}})
        assert st == 200, b
        done += n
    print("loaded %d documents in %.1f s" % (N, time.time() - t))

    def bench(label, query, binds):
        lat = []
        for i in range(Q):
            t0 = time.perf_counter()
            st, b = call("POST", "/query/aql", {"query": query,
                                               "bindVars": binds(i)})
            lat.append((time.perf_counter() - t0) * 1000)
            assert st == 200, b
        lat.sort()
        print("%-44s n=%d  p50 %.2f ms  p99 %.2f ms  rows/query %d" % (
            label, Q, statistics.median(lat), lat[int(len(lat) * 0.99) - 1],
            len(b["result"])))

    point = "FOR d IN docs FILTER d.cust == @c RETURN d._key"
    rng = "FOR d IN docs FILTER d.total >= @lo AND d.total < @hi RETURN d._key"
    pb = lambda i: {"c": "c%d" % ((i * 7919) % 100000)}
    rb = lambda i: {"lo": (i * 4999) % N, "hi": (i * 4999) % N + 100}
    top = "FOR d IN docs SORT d.total DESC LIMIT 10 RETURN d._key"
    nob = lambda i: {}
    sql = "SELECT count(*) FROM docs WHERE doc->>'cust' = 'c%d'"

    def bench_sql(label, rounds):
        lat = []
        for i in range(rounds):
            t0 = time.perf_counter()
            rc, out, err = srv.psql(sql % ((i * 7919) % 100000))
            lat.append((time.perf_counter() - t0) * 1000)
            assert rc == 0, err
        lat.sort()
        print("%-44s n=%d  p50 %.2f ms (psql process included)" % (
            label, rounds, statistics.median(lat)))
    saved = Q
    Q = max(3, Q // 40)  # scans are slow: fewer rounds
    bench("point FILTER, scan", point, pb)
    bench("range FILTER (100 rows), scan", rng, rb)
    bench("SORT total DESC LIMIT 10, scan+sort", top, nob)
    bench_sql("SQL doc->>'cust' = 'cN', scan", Q)
    Q = saved
    for field in ("cust", "total"):
        t = time.time()
        st, b = call("POST", "/v1/collections/docs/indexes",
                     {"type": "persistent", "fields": [field]})
        assert st == 201, b
        print("index on %s built in %.1f s" % (field, time.time() - t))
    st, b = call("POST", "/query/aql", {"query": point, "bindVars": pb(1),
                                        "explain": True})
    print("EXPLAIN:", json.dumps(b["plan"]["loops"][0]))
    bench("point FILTER, persistent index", point, pb)
    bench("range FILTER (100 rows), persistent index", rng, rb)
    bench("SORT total DESC LIMIT 10, persistent index", top, nob)
    bench_sql("SQL doc->>'cust' = 'cN', persistent index", 20)
    size = sum(os.path.getsize(os.path.join(srv.data_dir, f))
               for f in os.listdir(srv.data_dir) if f.startswith("themis.db"))
    print("data files: %.0f MB" % (size / 1e6))
finally:
    srv.stop()
    srv.cleanup()
PY
