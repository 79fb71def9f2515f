#!/usr/bin/env python3
"""ArangoDB HTTP API subset (issue 22) against themisd's own paths, on one
loopback keep-alive connection: what the Arango shape costs. Starts
build/themisd (or $THEMISD) with a private data dir; bounded loops only.

  python3 bench/arango_bench.py [docs=20000] [singles=2000]

Numbers: docs/arangodb-api.md#performance."""

import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from themis_harness import Server  # noqa: E402

DOCS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
SINGLES = int(sys.argv[2]) if len(sys.argv) > 2 else 2000


def main():
    srv = Server().start()
    try:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)

        def call(method, path, body=None):
            data = body if isinstance(body, (str, bytes)) or body is None \
                else json.dumps(body)
            c.request(method, path, body=data,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            out = r.read()
            assert r.status < 300, (r.status, out[:300])
            return json.loads(out) if out else None

        rows = []
        call("POST", "/_api/collection", {"name": "b"})
        lines = "\n".join(json.dumps({"_key": "k%d" % i, "x": i, "s": "v" * 20})
                          for i in range(DOCS))
        t = time.perf_counter()
        r = call("POST", "/_api/import?collection=b&type=documents", lines)
        dt = time.perf_counter() - t
        assert r["created"] == DOCS, r
        rows.append(("POST /_api/import (%d docs, one request)" % DOCS, dt,
                     DOCS / dt, "docs/s"))

        q = {"query": "FOR d IN b RETURN d", "batchSize": 1000}
        for name, create, nxt in (
                ("/_api/cursor", "/_api/cursor", ("POST", "/_api/cursor/")),
                ("/v1/query", "/v1/query", ("GET", "/v1/query/cursor/"))):
            t = time.perf_counter()
            b = call("POST", create, q)
            n = len(b["result"])
            while b.get("hasMore"):
                b = call(nxt[0], nxt[1] + b["id"])
                n += len(b["result"])
            dt = time.perf_counter() - t
            assert n == DOCS, n
            rows.append(("%s: all %d docs, batchSize 1000" % (name, DOCS),
                         dt, DOCS / dt, "docs/s"))

        call("POST", "/v1/collections", {"name": "s1"})
        call("POST", "/_api/collection", {"name": "s2"})
        for name, path in (("POST /v1/collections/{c}/documents",
                            "/v1/collections/s1/documents"),
                           ("POST /_api/document/{c}", "/_api/document/s2")):
            t = time.perf_counter()
            for i in range(SINGLES):
                call("POST", path, {"x": i})
            dt = time.perf_counter() - t
            rows.append(("%s x %d, sequential" % (name, SINGLES), dt,
                         SINGLES / dt, "req/s"))
        for name, path in (("GET /v1/collections/{c}/documents/{k}",
                            "/v1/collections/b/documents/k"),
                           ("GET /_api/document/{c}/{k}",
                            "/_api/document/b/k")):
            t = time.perf_counter()
            for i in range(SINGLES):
                call("GET", path + str(i))
            dt = time.perf_counter() - t
            rows.append(("%s x %d, sequential" % (name, SINGLES), dt,
                         SINGLES / dt, "req/s"))
        print("| what | seconds | rate |")
        print("| --- | --- | --- |")
        for what, dt, rate, unit in rows:
            print("| %s | %.3f | %.0f %s |" % (what, dt, rate, unit))
    finally:
        srv.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
