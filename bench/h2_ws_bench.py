#!/usr/bin/python3
"""WebSocket changefeed over HTTP/2 (RFC 8441, h2c) against the same over an
HTTP/1.1 upgrade, same server, same run: N documents are written, then a
subscriber backfills them from the start (events/s), then M live writes
are timed from sending the PUT to the event's arrival (latency, the
PUT's round trip included).
Usage: bench/h2_ws_bench.py [N] [M]   (themisd from build/, or $THEMISD)"""

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "clients"))
import websocket  # noqa: E402  (python3-websocket)
from h2_ws_client import H2Connection, H2WebSocket  # noqa: E402
from themis_harness import Server  # noqa: E402


def put(srv, coll, key):
    st, _, body = srv.json("PUT", "/entities/%s:%s" % (coll, key),
                           {"blob": json.dumps({"k": key})})
    assert st in (200, 201), st
    return int(body["_rev"])


class H1:
    def __init__(self, srv, path):
        self.ws = websocket.create_connection(
            "ws://127.0.0.1:%d%s" % (srv.port, path), timeout=30)

    def recv(self):
        return self.ws.recv()

    def close(self):
        self.ws.close()


class H2:
    def __init__(self, srv, path):
        self.c = H2Connection(srv.port, timeout=30)
        self.ws = H2WebSocket(self.c, path)
        assert self.ws.status == 200, self.ws.status

    def recv(self):
        return self.ws.recv(timeout=30)

    def close(self):
        self.ws.close()
        self.c.close()


def run(srv, kind, start, n, m):
    cls = H2 if kind == "h2" else H1
    sub = cls(srv, "/v2/changes?from_sequence=%d" % start)
    sub.recv()  # subscribed
    t0 = time.perf_counter()
    got = 0
    while got < n:
        if json.loads(sub.recv()).get("type") not in ("ping", "heartbeat"):
            got += 1
    backfill = n / (time.perf_counter() - t0)
    lat = []
    for i in range(m):
        t1 = time.perf_counter()  # (the event may arrive before the
        put(srv, "wsb", "%s-live-%d" % (kind, i))  # PUT's own answer)
        while True:
            ev = json.loads(sub.recv())
            if ev.get("key") == "%s-live-%d" % (kind, i):
                break
        lat.append((time.perf_counter() - t1) * 1000)
    sub.close()
    return backfill, statistics.median(lat), max(lat)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    srv = Server(["--set",
                  "changefeed.heartbeat_ms=60000"]).start()
    try:
        _, _, b = srv.json("GET", "/changefeed?from_seq=now")
        start = b["latest_sequence"]
        for i in range(n):
            put(srv, "wsb", "k%d" % i)
        print("%d events backfilled, %d live events" % (n, m))
        print("| transport | backfill events/s | live latency p50 ms | max ms |")
        print("|---|---|---|---|")
        for kind in ("h1", "h2", "h1", "h2"):
            bf, p50, mx = run(srv, kind, start, n, m)
            print("| %s | %.0f | %.2f | %.2f |" % (
                "HTTP/1.1 upgrade" if kind == "h1" else "HTTP/2 RFC 8441",
                bf, p50, mx))
    finally:
        srv.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
