"""Hostile HTTP clients (issue 17) against the real themisd: other tenants'
cursors and jobs, SSE and WebSocket changefeed subscribers that never read
(server RSS from /proc measured before and after), a slow WebSocket client
that must see the overflow message and a 1011 close, a request followed at
once by a half-close, and a drain with a stalled writer and a PostgreSQL
session inside BEGIN that must still end the process promptly. Every wait
is bounded in time."""
import base64
import json
import os
import re
import signal
import socket
import struct
import time
import unittest

import test_pgwire_protocol as pgraw  # its byte-level client, not its tests
from tokens import ALL_SCOPES, bearer, make_jwt, rss_kb  # noqa: F401
from themis_harness import Server

SECRET = "hostile test secret, long enough!!"


def jwt(sub, tenant=None, scope=ALL_SCOPES, exp_in=600):
    return make_jwt(SECRET, sub, tenant, scope, exp_in)


def write_events(srv, prefix, batches, per_batch=1000, pad=1000):
    """Group commits: each batch is one commit of `per_batch` events."""
    for b in range(batches):
        ops = [{"op": "put", "key": "%s:%d_%d" % (prefix, b, i),
                "blob": json.dumps({"pad": "x" * pad})}
               for i in range(per_batch)]
        st, _, body = srv.json("POST", "/entities/batch", {"operations": ops})
        assert st == 200, (st, body)


def non_reader(port, request, rcvbuf=4096):
    """A client that sends its request and then never reads."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.sendall(request)
    return s


def ws_upgrade(path):
    key = base64.b64encode(os.urandom(16)).decode()
    return ("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode()


def read_all(s, timeout):
    """Everything until EOF/reset or `timeout` seconds in total."""
    data = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def ws_frames(body):
    """(opcode, payload) of the server's unmasked frames in `body`."""
    out, i = [], 0
    while i + 2 <= len(body):
        op, n = body[i] & 0x0F, body[i + 1] & 0x7F
        hl = 2
        if n == 126:
            n, hl = struct.unpack("!H", body[i + 2:i + 4])[0], 4
        elif n == 127:
            n, hl = struct.unpack("!Q", body[i + 2:i + 10])[0], 10
        payload = body[i + hl:i + hl + n]
        if len(payload) < n:
            break
        out.append((op, payload))
        i += hl + n
    return out


class HandleTest(unittest.TestCase):
    """Cursors and jobs of one tenant are not there for another."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def test_cursor_ids_are_random_and_owned(self):
        alice, bob = jwt("alice", "acme"), jwt("bob", "beta")
        carol = jwt("carol", "acme")  # same tenant, another user
        ids = []
        for _ in range(2):
            st, _, body = self.srv.json(
                "POST", "/v1/query",
                {"query": "FOR i IN 1..5 RETURN i", "batchSize": 1},
                bearer(alice))
            self.assertEqual(st, 201, body)
            r = body  # (the harness parses JSON bodies)
            self.assertTrue(r["hasMore"])
            ids.append(r["id"])
        for cid in ids:
            self.assertRegex(cid, r"^[0-9a-f]{32}$")  # 128 random bits
        self.assertNotEqual(ids[0][:8], ids[1][:8])
        cid = ids[0]
        for tok in (bob, carol):
            st, _, body = self.srv.json("GET", "/v1/query/cursor/" + cid,
                                        None, bearer(tok))
            self.assertEqual(st, 404, body)
            self.assertNotIn("result", body)
            st, _, _ = self.srv.json("DELETE", "/v1/query/cursor/" + cid,
                                     None, bearer(tok))
            self.assertEqual(st, 404)
        # untouched by those attempts: the owner reads its next batch
        st, _, body = self.srv.json("GET", "/v1/query/cursor/" + cid, None,
                                    bearer(alice))
        self.assertEqual(st, 200, body)
        self.assertEqual(body["result"], [2])
        st, _, _ = self.srv.json("DELETE", "/v1/query/cursor/" + cid, None,
                                 bearer(alice))
        self.assertEqual(st, 204)

    def test_job_ids_are_random_and_owned(self):
        alice, bob = jwt("alice", "acme"), jwt("bob", "beta")
        st, _, body = self.srv.json("POST", "/v2/jobs",
                                    {"query": "RETURN 1"}, bearer(alice))
        self.assertEqual(st, 202, body)
        jid = body["job_id"]
        self.assertRegex(jid, r"^job-[0-9a-f]{32}$")
        for method, path in (("GET", ""), ("GET", "/result"),
                             ("DELETE", "")):
            st, _, _ = self.srv.json(method, "/v2/jobs/" + jid + path, None,
                                     bearer(bob))
            self.assertEqual(st, 404, (method, path))
        st, _, _ = self.srv.json("GET", "/v2/jobs/" + jid, None,
                                 bearer(alice))
        self.assertEqual(st, 200)


class SlowSubscriberTest(unittest.TestCase):
    """Subscribers that do not read cost a bounded amount of memory, and
    are told where to resume."""

    def test_non_reading_sse_and_websocket_stay_bounded(self):
        # Before the fix an SSE subscriber's bound counted socket writes:
        # one write per group commit, so 40 commits of 1,000 events (40 MB)
        # stayed queued. Now each subscriber holds at most max_queue_bytes.
        srv = Server(("--set", "changefeed.max_queue_bytes=1048576",
                      "--set", "changefeed.max_queue_events=100000")).start()
        try:
            write_events(srv, "warm", 10)  # engine caches settle first
            base = rss_kb(srv.proc.pid)
            sse = non_reader(srv.port, b"GET /changefeed/stream?from_seq=now "
                                       b"HTTP/1.1\r\nHost: x\r\n\r\n")
            ws = non_reader(srv.port, ws_upgrade("/v2/changes?from_sequence="
                                                 "now"))
            time.sleep(0.5)
            write_events(srv, "flood", 40)
            time.sleep(1)
            grown_mb = (rss_kb(srv.proc.pid) - base) / 1024.0
            print("RSS growth with two non-readers after 40 MB of events: "
                  "%.1f MB" % grown_mb)
            self.assertLess(grown_mb, 24)
            st, _, _ = srv.request("GET", "/health/ready")
            self.assertEqual(st, 200)  # the server stays up
            # both subscribers were ended: the server closes them
            for s in (sse, ws):
                _, closed = read_all(s, 15)
                self.assertTrue(closed)
                s.close()
            self.assertIn(srv.stop(), (0, 3))
        finally:
            srv.cleanup()

    def test_slow_sse_reader_gets_the_overflow_event_then_eof(self):
        srv = Server(("--set", "changefeed.max_queue_bytes=262144")).start()
        try:
            s = non_reader(srv.port, b"GET /changefeed/stream?from_seq=now "
                                     b"HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.5)
            write_events(srv, "sse", 4)
            data, closed = read_all(s, 10)
            s.close()
            self.assertTrue(closed, "the stream must end with a close")
            text = data.decode("utf-8", "replace")
            ids = [int(x) for x in re.findall(r"\nid: (\d+)\n", text)]
            m = re.search(r"event: error\r?\ndata: (\{[^\n]*\})", text)
            self.assertIsNotNone(m, text[-500:])
            err = json.loads(m.group(1))
            self.assertIn("overflow", err["message"])
            self.assertTrue(ids)
            self.assertEqual(err["last_sequence"], ids[-1])
            self.assertLess(len(ids), 4000)
            self.assertEqual(ids, list(range(ids[0], ids[0] + len(ids))))
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()

    def test_slow_websocket_client_sees_overflow_and_1011(self):
        srv = Server(("--set", "changefeed.max_queue_bytes=262144")).start()
        try:
            s = non_reader(srv.port, ws_upgrade("/v2/changes?from_sequence="
                                                "now"))
            time.sleep(0.5)
            write_events(srv, "wso", 4)
            data, closed = read_all(s, 10)
            s.close()
            self.assertIn(b"\r\n\r\n", data)
            frames = ws_frames(data.split(b"\r\n\r\n", 1)[1])
            seqs, overflow, close = [], None, None
            for op, p in frames:
                if op == 1:
                    m = json.loads(p)
                    if m.get("type") == "overflow":
                        overflow = m
                    elif "sequence" in m:
                        seqs.append(m["sequence"])
                elif op == 8:
                    close = (struct.unpack("!H", p[:2])[0], p[2:])
            self.assertIsNotNone(overflow, "no overflow message")
            self.assertIsNotNone(close, "no close frame (a bare EOF)")
            self.assertEqual(close[0], 1011)
            last = overflow["last_sequences"]["1"]
            self.assertIn(b"last_sequence=%d" % last, close[1])
            # nothing past the reported position was lost: what the client
            # got ends at (or, in flight, just after) it
            self.assertTrue(seqs)
            self.assertGreaterEqual(seqs[-1], last)
            self.assertLess(len(seqs), 4000)  # the backlog was dropped
            self.assertTrue(closed)
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()


class HalfCloseTest(unittest.TestCase):
    def test_request_then_shutdown_wr_is_answered_and_executed(self):
        srv = Server().start()
        try:
            body = b'{"blob":"{\\"v\\":1}"}'
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(b"PUT /entities/hc:k1 HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body)
            s.shutdown(socket.SHUT_WR)
            data, closed = read_all(s, 5)
            s.close()
            self.assertRegex(data, rb"^HTTP/1\.1 20[01] ")
            self.assertIn(b"connection: close", data.lower())
            self.assertTrue(closed)
            st, _, _ = srv.request("GET", "/entities/hc:k1")
            self.assertEqual(st, 200)  # it was executed
            # a short request (shorter than the HTTP/2 preface) too
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
            s.shutdown(socket.SHUT_WR)
            data, closed = read_all(s, 5)
            s.close()
            self.assertRegex(data, rb"^HTTP/1\.[01] 200 ")
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()


class DrainDeadlineTest(unittest.TestCase):
    def test_exit_is_bounded_with_a_stalled_writer_and_a_pg_transaction(self):
        drain_ms = 3000
        srv = Server(("--set", "debug.fault_injection=true",
                      "--set", "pg.auth=trust",
                      "--set", "server.drain_timeout_ms=%d" % drain_ms)).start()
        try:
            pg = pgraw.Conn(srv.pg_port)
            pg.send(pgraw.startup())
            _, status = pg.until(b"Z")
            self.assertEqual(status, b"I")
            _, status = pg.query("BEGIN")
            self.assertEqual(status, b"T")
            st, _, b = srv.json("POST", "/v1/_admin/faults",
                                {"target": "store_writer", "stall_ms": 30000})
            self.assertEqual(st, 200, b)
            # a write that the stalled writer holds, from a second client
            w = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            w.sendall(b"PUT /entities/dr:k1 HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 2\r\n\r\n{}")
            time.sleep(0.5)
            t0 = time.time()
            srv.proc.send_signal(signal.SIGTERM)
            pg.s.settimeout(drain_ms / 1000.0 + 3)
            t, p = pg.read_msg()
            self.assertEqual(t, b"E")
            self.assertEqual(pgraw.sqlstate(p), "57P01")
            rc = srv.proc.wait(drain_ms / 1000.0 + 10)
            took = time.time() - t0
            print("exit %d after SIGTERM in %.2f s (drain %d ms)" %
                  (rc, took, drain_ms))
            self.assertLess(took, drain_ms / 1000.0 + 2.5)
            self.assertIn(rc, (0, 3))
            w.close()
        finally:
            if srv.proc.poll() is None:
                srv.proc.kill()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
