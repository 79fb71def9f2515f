"""Real upstream HTTP servers for the gateway tests (issue 23): Python
http.server on free loopback ports, in threads of the test process. Each
counts its hits and can be told to answer 5xx, be slow, fail its health
check, or send a malformed answer."""

import json
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Upstream:
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.hits = 0
        self.health_hits = 0
        self.requests = []  # (method, path, headers dict, body)
        self.fail_status = None  # answer this status to everything
        self.slow_ms = 0
        self.health_status = 200
        self.malformed = False
        self.tail = None  # (probability, ms): a slow tail per request
        up = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # one write per answer: head and body in separate small writes
            # meet Nagle and delayed ACKs (40 ms stalls)
            wbufsize = 65536

            def log_message(self, *a):
                pass

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                parts = urlsplit(self.path)
                if parts.path == "/health":
                    with up.lock:
                        up.health_hits += 1
                        st = up.health_status
                    self.send_response(st)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    return
                q = parse_qs(parts.query)
                with up.lock:
                    up.hits += 1
                    up.requests.append((self.command, self.path,
                                        dict(self.headers.items()), body))
                    status = up.fail_status
                    slow = up.slow_ms
                    malformed = up.malformed
                    if up.tail and random.random() < up.tail[0]:
                        slow = up.tail[1]
                if "sleep" in q:
                    slow = int(q["sleep"][0])
                if slow:
                    time.sleep(slow / 1000.0)
                if malformed:
                    self.wfile.write(b"HTTP/1.1 2x0 Nonsense\r\n\r\n")
                    self.close_connection = True
                    return
                status = int(q["status"][0]) if "status" in q else (
                    status or 200)
                out = json.dumps({
                    "upstream": up.name, "method": self.command,
                    "path": self.path, "body": body.decode(errors="replace"),
                    "headers": dict(self.headers.items())}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Upstream", up.name)
                self.send_header("Connection", "keep-alive, X-Hop")
                self.send_header("X-Hop", "must-not-pass")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any
            do_PATCH = handle_any

        class Quiet(ThreadingHTTPServer):
            request_queue_size = 256  # bursts of concurrent connects
            def handle_error(self, request, client_address):
                pass  # the gateway hung up first (timeouts): expected

        self.server = Quiet(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.address = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.hits = 0
            self.requests = []
            self.fail_status = None
            self.slow_ms = 0
            self.health_status = 200
            self.malformed = False
            self.tail = None

    def count(self):
        with self.lock:
            return self.hits

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port():
    """A loopback port nobody listens on (connect: refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_checked(server, *closers):
    """Stops themisd (a clean exit is part of every gateway test), then
    runs `closers` (upstreams' close, directory removal) whatever
    happened."""
    try:
        code = server.stop()
        assert code == 0, "themisd exit %r\n%s" % (
            code, server.read_log()[-3000:])
    finally:
        server.cleanup()
        for close in closers:
            close()
