#!/bin/sh
# Background vs foreground index builds (issue 22, docs/indexes.md
# "Building in the background"): N documents (default 1,000,000); while
# each build runs, one client PUTs documents back to back and records each
# write's latency. Reports build time, write latency p50/p99/max during the
# build, writes done meanwhile, the index's size, and a point FILTER's p50
# through each index. Starts build/themisd (or $THEMISD), private data dir.
#   bench/index_background_bench.sh [docs=1000000] [chunk=10000]
cd "$(dirname "$0")/.." || exit 1
exec /usr/bin/python3 - "$@" <<'PY'
import http.client, json, statistics, sys, threading, time
sys.path.insert(0, "tests/integration")
from themis_harness import Server

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
CHUNK = sys.argv[2] if len(sys.argv) > 2 else "10000"
srv = Server(args=["--set", "engine.index_build_chunk=" + CHUNK,
                   "--set", "query.timeout_ms=900000",
                   "--set", "query.max_rows=10000000",
                   "--set", "http.request_timeout_ms=900000"]).start()


def conn():
    return http.client.HTTPConnection("127.0.0.1", srv.port, timeout=900)


def call(c, method, path, body=None):
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"null")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


try:
    c = conn()
    call(c, "POST", "/v1/collections", {"name": "docs"})
    done, t = 0, time.time()
    while done < N:
        n = min(200000, N - done)
        st, b = call(c, "POST", "/query/aql", {"query":
            "FOR i IN @lo..@hi INSERT {_key: CONCAT('k', i), cust: "
            "CONCAT('c', i % 100000), total: i, pad: 'xxxxxxxxxxxxxxxxxxxx'} "
            "INTO docs", "bindVars": {"lo": done, "hi": done + n - 1}})
        assert st == 200, b
        done += n
    print("loaded %d documents in %.1f s" % (N, time.time() - t))

    def run(label, field, background):
        lat, stop = [], threading.Event()

        def writer():
            w, i = conn(), 0
            while not stop.is_set():
                t0 = time.perf_counter()
                st, _ = call(w, "PUT", "/v1/collections/docs/documents/w%s%d"
                             % (field, i), {"cust": "cw", "total": -i})
                lat.append((time.perf_counter() - t0) * 1000)
                i += 1
        th = threading.Thread(target=writer)
        th.start()
        time.sleep(0.5)  # the writer's steady state first
        before = len(lat)
        t0 = time.time()
        body = {"type": "persistent", "fields": [field], "name": "by_" + field}
        if background:
            body["inBackground"] = True
        st, b = call(c, "POST", "/v1/collections/docs/indexes", body)
        assert st in (201, 202), b
        while background:
            st, b = call(c, "GET", "/v1/collections/docs/indexes/by_" + field)
            if b["state"] != "building":
                assert b["state"] == "ready", b
                break
            time.sleep(0.05)
        took = time.time() - t0
        stop.set()
        th.join()  # the write the build held up ends now: count it
        during = lat[before:]
        st, stats = call(c, "GET", "/v1/collections/docs/statistics")
        size = [i for i in stats["indexes"] if i["name"] == "by_" + field][0]
        q = ("FOR d IN docs FILTER d.%s == @v RETURN d._key" % field)
        ql = []
        for i in range(100):
            v = "c%d" % ((i * 7919) % 100000)
            t1 = time.perf_counter()
            st, b = call(c, "POST", "/query/aql", {"query": q,
                                                  "bindVars": {"v": v}})
            ql.append((time.perf_counter() - t1) * 1000)
            assert st == 200, b
        print("%-11s build %.1f s | writes during it: %d, p50 %.1f ms, "
              "p99 %.1f ms, max %.0f ms | index %.0f MB | point FILTER p50 "
              "%.2f ms" % (label, took, len(during), pct(during, 0.5),
                           pct(during, 0.99), max(during) if during else 0,
                           size["bytes"] / 1e6, statistics.median(ql)))
        call(c, "DELETE", "/v1/collections/docs/indexes/by_" + field)

    run("foreground", "cust", False)
    run("background", "cust", True)
finally:
    srv.stop()
    srv.cleanup()
PY
