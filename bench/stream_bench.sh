#!/bin/sh
# Streamed AQL results (issue 22): a 10M-row result read as NDJSON by a
# fast reader (throughput) and a slow one, with themisd's peak VmRSS
# sampled every 50 ms against the non-streamed /query/aql of a smaller
# result. Starts build/themisd (or $THEMISD) with a private data dir.
#   bench/stream_bench.sh [rows_in_thousands=10000]
# Numbers: docs/rest-api.md#streaming.
cd "$(dirname "$0")/.." || exit 1
exec /usr/bin/python3 - "$@" <<'PY'
import json, socket, sys, threading, time
sys.path.insert(0, "tests/integration")
from themis_harness import Server
from tokens import rss_kb

K = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
srv = Server(args=["--set", "query.timeout_ms=900000",
                   "--set", "query.max_rows=10000000"]).start()
peak = [0]
stop = [False]

def sample():
    while not stop[0]:
        peak[0] = max(peak[0], rss_kb(srv.proc.pid))
        time.sleep(0.05)

def run(query, accept, slow=False, limit=None):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=900)
    body = json.dumps({"query": query}).encode()
    s.sendall(b"POST /query/aql HTTP/1.1\r\nHost: x\r\nAccept: " +
              accept.encode() + b"\r\nContent-Type: application/json\r\n"
              b"Connection: close\r\nContent-Length: " +
              str(len(body)).encode() + b"\r\n\r\n" + body)
    n = 0
    t = time.time()
    while True:
        d = s.recv(65536 if slow else 1 << 20)
        if not d:
            break
        n += len(d)
        if slow:
            time.sleep(0.01)
        if limit and n >= limit:
            break
    s.close()
    return n, time.time() - t

try:
    base = rss_kb(srv.proc.pid)
    threading.Thread(target=sample, daemon=True).start()
    q = "FOR a IN 1..%d FOR b IN 1..1000 RETURN {i: a * 1000 + b}" % K
    n, secs = run(q, "application/x-ndjson")
    print("NDJSON %dk rows: %.0f MB in %.1f s (%.0f MB/s, %.2f M rows/s); "
          "RSS %d MB -> peak %d MB" % (K, n / 1e6, secs, n / 1e6 / secs,
                                      K / 1000.0 / secs, base // 1024,
                                      peak[0] // 1024))
    peak[0] = rss_kb(srv.proc.pid)
    n, secs = run(q, "application/x-ndjson", slow=True, limit=20 << 20)
    print("slow reader (64 KiB per 10 ms), first 20 MB in %.1f s; peak RSS "
          "%d MB" % (secs, peak[0] // 1024))
    time.sleep(1)
    peak[0] = rss_kb(srv.proc.pid)
    small = "FOR a IN 1..1000 FOR b IN 1..1000 RETURN {i: a * 1000 + b}"
    n, secs = run(small, "application/json")
    print("non-streamed /query/aql of 1M rows (%.0f MB): %.1f s, peak RSS %d MB"
          % (n / 1e6, secs, peak[0] // 1024))
finally:
    stop[0] = True
    srv.stop()
    srv.cleanup()
PY
