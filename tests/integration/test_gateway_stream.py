"""API gateway, streamed answers (issue 23, second slice): themisd in front
of a real upstream (Python http.server in a thread) that sends SSE events
with pauses, large bodies with Content-Length or chunked, and bodies that
break off. Checks that events reach the client one by one (HTTP/1.1 and
h2c via curl), that a slow client holds the upstream back (bounded
buffering: the upstream cannot write much more than what the client read,
themisd's RSS stays low), HEAD's Content-Length, the size limit, the idle
timeout, and that a client going away frees the upstream connection."""

import hashlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server  # noqa: E402
from gateway_upstreams import stop_checked  # noqa: E402

PATTERN = b"0123456789abcdefghijklmnopqrstuvwxyz\n" * 1771  # 65527 bytes


def body_bytes(n):
    """The first n bytes of the repeating pattern (both sides agree)."""
    reps = n // len(PATTERN) + 1
    return (PATTERN * reps)[:n]


class StreamUpstream:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}  # path tag -> bytes written so far
        self.events = []  # (tag, i, time sent)
        self.aborted = []  # tags whose client (themisd) went away
        up = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def chunk(self, data):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                parts = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                tag = q.get("tag", parts.path)
                try:
                    if parts.path == "/sse":
                        self.sse(tag, int(q.get("n", 5)),
                                 int(q.get("gap", 300)))
                    elif parts.path == "/big":
                        self.big(tag, int(q["n"]), q.get("cl") == "1",
                                 q.get("short") == "1")
                    else:
                        self.send_error(404)
                except (BrokenPipeError, ConnectionResetError):
                    with up.lock:
                        up.aborted.append(tag)
                    self.close_connection = True

            def sse(self, tag, n, gap):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(n):
                    with up.lock:
                        up.events.append((tag, i, time.time()))
                    self.chunk(b"id: %d\ndata: event %d\n\n" % (i, i))
                    self.wfile.flush()
                    time.sleep(gap / 1000.0)
                self.wfile.write(b"0\r\n\r\n")

            def big(self, tag, n, cl, short):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if cl:
                    self.send_header("Content-Length", str(n))
                else:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                if self.command == "HEAD":
                    return
                data = body_bytes(n)
                limit = n // 2 if short else n
                pos = 0
                while pos < limit:
                    piece = data[pos:min(pos + 65536, limit)]
                    if cl:
                        self.wfile.write(piece)
                    else:
                        self.chunk(piece)
                    pos += len(piece)
                    with up.lock:
                        up.sent[tag] = pos
                if short:  # breaks off mid-body
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if not cl:
                    self.wfile.write(b"0\r\n\r\n")

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        self.server = Quiet(("127.0.0.1", 0), Handler)
        self.address = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class GatewayStreamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = StreamUpstream()
        cls.dir = tempfile.mkdtemp(prefix="themis_gws_")
        path = os.path.join(cls.dir, "gateway.yaml")
        with open(path, "w") as f:
            f.write("""
clusters:
  - name: s
    endpoints: [%(u)s]
    max_response_bytes: 134217728
  - name: limited
    endpoints: [%(u)s]
    max_response_bytes: 300000
routes:
  - name: stream
    match: {prefix: /s/}
    forward: {cluster: s, rewrite_prefix: /, retries: 0,
              stream_buffer_bytes: 65536}
  - name: limited
    match: {prefix: /lim/}
    forward: {cluster: limited, rewrite_prefix: /, retries: 0}
  - name: idle
    match: {prefix: /idle/}
    forward: {cluster: s, rewrite_prefix: /, retries: 0,
              stream_idle_timeout_ms: 400}
""" % {"u": cls.up.address})
        cls.server = Server(["--set", "gateway.file=" + path]).start()

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls.server, cls.up.close,
                     lambda: shutil.rmtree(cls.dir, ignore_errors=True))

    def conn(self, timeout=20):
        return http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=timeout)

    def test_sse_events_arrive_one_by_one(self):
        c = self.conn()
        c.request("GET", "/s/sse?n=5&gap=400&tag=sse1")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        got = []
        while len(got) < 5:
            line = r.fp.readline()  # (the chunked decoder is bypassed:
            self.assertTrue(line)   # read the raw chunks line by line)
            if line.startswith(b"data: "):
                got.append((line.strip(), time.time()))
        sent = {i: t for tag, i, t in self.up.events if tag == "sse1"}
        for i, (line, t) in enumerate(got):
            self.assertEqual(line, b"data: event %d" % i)
            # each event reaches the client before the next one is sent
            # upstream (the whole stream takes 2 s)
            if i + 1 in sent:
                self.assertLess(t, sent[i + 1], "event %d buffered" % i)
            self.assertLess(t - sent[i], 0.3)
        c.close()

    def test_sse_over_h2c_with_curl(self):
        if not shutil.which("curl"):
            self.skipTest("curl not installed")
        url = "http://127.0.0.1:%d/s/sse?n=4&gap=400&tag=h2" % (
            self.server.port)
        p = subprocess.Popen(["curl", "-sN", "--http2-prior-knowledge",
                              "--max-time", "10", url],
                             stdout=subprocess.PIPE)
        try:
            got = []
            for line in p.stdout:
                if line.startswith(b"data: "):
                    got.append((line.strip(), time.time()))
            self.assertEqual(p.wait(10), 0)
        finally:
            p.kill()
        sent = {i: t for tag, i, t in self.up.events if tag == "h2"}
        self.assertEqual([x for x, _ in got],
                         [b"data: event %d" % i for i in range(4)])
        for i, (_, t) in enumerate(got[:-1]):
            self.assertLess(t, sent[i + 1], "event %d buffered (h2)" % i)

    def test_large_bodies_keep_their_framing(self):
        for cl in ("1", "0"):
            n = 3 * 1024 * 1024 + 17
            c = self.conn()
            c.request("GET", "/s/big?n=%d&cl=%s&tag=frame%s" % (n, cl, cl))
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            if cl == "1":
                self.assertEqual(r.getheader("Content-Length"), str(n))
                self.assertIsNone(r.getheader("Transfer-Encoding"))
            else:
                self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
            data = r.read()
            self.assertEqual(len(data), n)
            self.assertEqual(hashlib.sha256(data).hexdigest(),
                             hashlib.sha256(body_bytes(n)).hexdigest())
            # keep-alive holds after a streamed answer
            c.request("GET", "/s/big?n=10&cl=1")
            self.assertEqual(c.getresponse().read(), body_bytes(10))
            c.close()

    def test_slow_client_holds_the_upstream_back(self):
        n = 64 * 1024 * 1024
        before = rss_kb(self.server.proc.pid)
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(b"GET /s/big?n=%d&cl=1&tag=slow HTTP/1.1\r\n"
                  b"Host: t\r\n\r\n" % n)
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        time.sleep(1.5)  # read nothing
        with self.up.lock:
            sent = self.up.sent.get("slow", 0)
        grown = rss_kb(self.server.proc.pid) - before
        print("\nslow client, 64 MB answer, 1.5 s without reading: upstream "
              "wrote %.1f MB, themisd RSS grew %d KiB" % (sent / 1e6, grown),
              file=sys.stderr)
        # kernel buffers (client and upstream sockets) plus the 64 KiB
        # window; without back-pressure all 64 MB would be read by now
        self.assertLess(sent, 24 * 1024 * 1024, "upstream ran ahead")
        self.assertLess(grown, 24 * 1024, "themisd buffered %d KiB" % grown)
        got = len(head) - head.index(b"\r\n\r\n") - 4
        h = hashlib.sha256(head[head.index(b"\r\n\r\n") + 4:])
        s.settimeout(30)
        while got < n:
            d = s.recv(1 << 20)
            self.assertTrue(d)
            got += len(d)
            h.update(d)
        self.assertEqual(got, n)
        self.assertEqual(h.hexdigest(),
                         hashlib.sha256(body_bytes(n)).hexdigest())
        s.close()

    def test_head_passes_the_upstream_length(self):
        c = self.conn()
        c.request("HEAD", "/s/big?n=12345&cl=1")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Length"), "12345")
        self.assertEqual(r.read(), b"")
        # the connection carries on (no body was expected)
        c.request("GET", "/s/big?n=5&cl=1")
        self.assertEqual(c.getresponse().read(), b"01234")
        c.close()

    def test_limits_and_broken_bodies(self):
        # over max_response_bytes with a Content-Length: 502 before any byte
        c = self.conn()
        c.request("GET", "/lim/big?n=400000&cl=1")
        r = c.getresponse()
        self.assertEqual(r.status, 502)
        self.assertIn("over the limit",
                      r.getheader("x-themis-gateway-reason"))
        r.read()
        c.close()
        # chunked, crossing the limit mid-stream: the answer breaks off
        # (no last chunk) instead of ending as if complete
        for path in ("/lim/big?n=400000&cl=0",  # over the limit
                     "/s/big?n=1000000&cl=1&short=1",  # upstream closes
                     "/s/big?n=1000000&cl=0&short=1"):
            c = self.conn()
            c.request("GET", path)
            r = c.getresponse()
            self.assertEqual(r.status, 200, path)
            with self.assertRaises(http.client.IncompleteRead, msg=path):
                r.read()
            c.close()
        self.assertEqual(self.server.request("GET", "/s/big?n=3&cl=1")[2],
                         b"012")

    def test_idle_upstream_ends_the_stream(self):
        c = self.conn()
        c.request("GET", "/idle/sse?n=3&gap=1500&tag=idle")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        t0 = time.time()
        with self.assertRaises(http.client.IncompleteRead):
            r.read()
        self.assertLess(time.time() - t0, 1.4)  # 400 ms idle, not 3 s
        c.close()

    def test_client_going_away_frees_the_upstream(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.sendall(b"GET /s/sse?n=100&gap=100&tag=gone HTTP/1.1\r\n"
                  b"Host: t\r\n\r\n")
        buf = b""
        while b"event 1" not in buf:
            buf += s.recv(4096)
        s.close()
        deadline = time.time() + 5
        while time.time() < deadline and "gone" not in self.up.aborted:
            time.sleep(0.05)
        self.assertIn("gone", self.up.aborted)
        sent = [i for tag, i, _ in self.up.events if tag == "gone"]
        self.assertLess(len(sent), 100)


if __name__ == "__main__":
    unittest.main()
