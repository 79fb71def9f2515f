#!/usr/bin/env python3
"""N idle HTTP/1.1 keep-alive connections (bench/idle_bench.sh): each sends
one GET and reads the whole answer, then all are held open and silent for
HOLD seconds. Prints "connected N" once every answer is in.
  idle_http_client.py PORT N [HOLD=5] [PATH=/health]"""
import selectors
import socket
import sys
import time

port, n = int(sys.argv[1]), int(sys.argv[2])
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 5
path = sys.argv[4] if len(sys.argv) > 4 else "/health"
req = ("GET %s HTTP/1.1\r\nHost: bench\r\n\r\n" % path).encode()
sel = selectors.DefaultSelector()
socks, pending = [], 0
deadline = time.time() + 120
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, [b""])
    socks.append(s)
    pending += 1
    # keep the backlog short: read what is ready every 200 connections
    while pending and (i % 200 == 199 or i == n - 1) and time.time() < deadline:
        for key, _ in sel.select(timeout=0.05 if i < n - 1 else 1):
            buf = key.data[0] + key.fileobj.recv(65536)
            key.data[0] = buf
            head, sep, body = buf.partition(b"\r\n\r\n")
            if not sep:
                continue
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            if len(body) >= length:
                sel.unregister(key.fileobj)
                pending -= 1
        if i < n - 1:
            break
if pending:
    print("unanswered %d" % pending, file=sys.stderr)
    sys.exit(1)
print("connected %d" % n, flush=True)
time.sleep(hold)
for s in socks:
    s.close()
