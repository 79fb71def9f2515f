"""gRPC-web / Connect / REST latency of one Documents.Get on one
keep-alive HTTP/1.1 connection (a benchmark, not a test): N sequential
calls each, same document, same client (http.client), against a themisd
started here. Prints calls/s and mean µs per call, plus themisd's CPU µs
per call (from /proc/<pid>/stat around each run).

  THEMISD=build/themisd python3 bench/grpc_web_bench.py [N]
"""

import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
sys.path.insert(0, "/usr/lib/python3/dist-packages")
from themis_harness import Server  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def pb_get(coll, key):
    # GetDocumentRequest{collection=1, key=2}: hand-encoded (no stubs)
    def s(field, v):
        b = v.encode()
        return bytes([field << 3 | 2, len(b)]) + b
    return s(1, coll) + s(2, key)


def frame(msg):
    return b"\x00" + len(msg).to_bytes(4, "big") + msg


def cpu_us(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    ticks = int(parts[11]) + int(parts[12])
    return ticks * 1e6 / os.sysconf("SC_CLK_TCK")


def run(srv, name, method, path, body, headers):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    for _ in range(200):  # warm-up
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        r.read()
        assert r.status == 200, (name, r.status)
    cpu0 = cpu_us(srv.proc.pid)
    t0 = time.perf_counter()
    for _ in range(N):
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        r.read()
    dt = time.perf_counter() - t0
    cpu = cpu_us(srv.proc.pid) - cpu0
    c.close()
    print("%-22s %8.0f calls/s %8.1f us/call  server CPU %6.1f us/call"
          % (name, N / dt, dt / N * 1e6, cpu / N))


def main():
    srv = Server().start()
    try:
        srv.json("POST", "/v1/collections", {"name": "b"})
        srv.json("PUT", "/v1/collections/b/documents/k",
                 {"name": "bench", "n": 1, "tags": ["a", "b"]})
        msg = pb_get("b", "k")
        run(srv, "REST GET", "GET", "/v1/collections/b/documents/k", None,
            {})
        run(srv, "gRPC-web (binary)", "POST", "/themis.v1.Documents/Get",
            frame(msg), {"Content-Type": "application/grpc-web+proto"})
        import base64
        run(srv, "gRPC-web-text", "POST", "/themis.v1.Documents/Get",
            base64.b64encode(frame(msg)),
            {"Content-Type": "application/grpc-web-text"})
        run(srv, "Connect proto", "POST", "/themis.v1.Documents/Get", msg,
            {"Content-Type": "application/proto"})
        run(srv, "Connect JSON", "POST", "/themis.v1.Documents/Get",
            json.dumps({"collection": "b", "key": "k"}),
            {"Content-Type": "application/json"})
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
