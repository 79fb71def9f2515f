"""API gateway, WebSocket pass-through (issue 23, second slice): themisd in
front of real WebSocket upstreams (a small RFC 6455 echo server in
threads of the test). The handshake reaches the upstream (its
Sec-WebSocket-Accept comes back), frames pass both ways (one sent by the
upstream in the same packet as its 101, a 1 MB message each way), ring
hash affinity holds for WebSocket, the idle timeout and either side's
close end both sides, and an upstream that refuses the upgrade is relayed
as an ordinary answer."""

import base64
import hashlib
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server  # noqa: E402
from gateway_upstreams import stop_checked  # noqa: E402
from ws_raw import Frames, handshake, masked  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(op, payload):
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | op, n])
    elif n < 65536:
        head = bytes([0x80 | op, 126]) + struct.pack("!H", n)
    else:
        head = bytes([0x80 | op, 127]) + struct.pack("!Q", n)
    return head + payload


def recv_exact(s, n, buf):
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError
        buf += d
    return buf[:n], buf[n:]


class WsUpstream:
    """Echoes text/binary messages as '<name>:<payload>'; 'bye' makes it
    close; counts handshakes and remembers closed connections."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.upgrades = 0
        self.closed = 0
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(64)
        self.address = "127.0.0.1:%d" % self.srv.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                s, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(s,), daemon=True).start()

    def serve(self, s):
        try:
            buf = b""
            while b"\r\n\r\n" not in buf:
                d = s.recv(65536)
                if not d:
                    return
                buf += d
            head, _, buf = buf.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            hs = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                hs[k.strip().lower()] = v.strip()
            path = lines[0].split(" ")[1]
            if (hs.get("upgrade", "").lower() != "websocket" or
                    "upgrade" not in hs.get("connection", "").lower() or
                    path.startswith("/refuse")):
                body = b"no upgrade here"
                s.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n"
                          b"X-Upstream: %s\r\n\r\n%s" % (
                              len(body), self.name.encode(), body))
                return
            with self.lock:
                self.upgrades += 1
            accept = base64.b64encode(hashlib.sha1(
                hs["sec-websocket-key"].encode() + GUID).digest())
            # the 101 and a first frame in one packet
            s.sendall(b"HTTP/1.1 101 Switching Protocols\r\n"
                      b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Accept: " + accept + b"\r\n"
                      b"X-Upstream: " + self.name.encode() + b"\r\n\r\n" +
                      frame(1, b"hello from " + self.name.encode()))
            while True:
                h, buf = recv_exact(s, 2, buf)
                op, n = h[0] & 0x0F, h[1] & 0x7F
                if n == 126:
                    x, buf = recv_exact(s, 2, buf)
                    n = struct.unpack("!H", x)[0]
                elif n == 127:
                    x, buf = recv_exact(s, 8, buf)
                    n = struct.unpack("!Q", x)[0]
                mask, buf = recv_exact(s, 4, buf)
                p, buf = recv_exact(s, n, buf)
                p = bytes(b ^ mask[i % 4] for i, b in enumerate(p))
                if op == 8:
                    s.sendall(frame(8, p[:2]))
                    return
                if p == b"bye":
                    return
                s.sendall(frame(op, self.name.encode() + b":" + p))
        except (EOFError, OSError):
            pass
        finally:
            with self.lock:
                self.closed += 1
            s.close()

    def close(self):
        self.srv.close()


class GatewayWsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ups = [WsUpstream("u%d" % i) for i in range(3)]
        cls.dir = tempfile.mkdtemp(prefix="themis_gww_")
        path = os.path.join(cls.dir, "gateway.yaml")
        u = [x.address for x in cls.ups]
        with open(path, "w") as f:
            f.write("""
clusters:
  - name: ring
    lb: ring_hash
    hash_on: header:X-User
    endpoints: [%s, %s, %s]
  - name: one
    endpoints: [%s]
  - name: mag
    lb: maglev
    maglev_table_size: 251
    hash_on: header:X-User
    endpoints: [%s, %s, %s]
routes:
  - name: mag
    match: {prefix: /mag}
    forward: {cluster: mag}
  - name: ws
    match: {prefix: /ws}
    forward: {cluster: ring, stream_idle_timeout_ms: 10000}
  - name: idle
    match: {prefix: /idle}
    forward: {cluster: one, stream_idle_timeout_ms: 500}
  - name: refuse
    match: {prefix: /refuse}
    forward: {cluster: one, retries: 0}
""" % (u[0], u[1], u[2], u[0], u[0], u[1], u[2]))
        cls.server = Server(["--set", "gateway.file=" + path]).start()

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls.server, *[u.close for u in cls.ups],
                     lambda: shutil.rmtree(cls.dir, ignore_errors=True))

    def open(self, path, user="alice"):
        s, status, hs, rest = handshake(self.server.port, path,
                                        extra="X-User: %s\r\n" % user)
        return s, status, hs, Frames(s, rest)

    def closed_count(self):
        return sum(u.closed for u in self.ups)

    def test_echo_both_ways(self):
        s, status, hs, fr = self.open("/ws/echo")
        self.assertIn(" 101 ", status)
        self.assertEqual(hs["upgrade"].lower(), "websocket")
        name = hs["x-upstream"]
        self.assertTrue(hs["sec-websocket-accept"])
        # the frame the upstream sent in the same packet as its 101
        op, _, _, p = fr.next()
        self.assertEqual((op, p), (1, b"hello from " + name.encode()))
        s.sendall(masked(1, b"hi"))
        self.assertEqual(fr.next()[3], name.encode() + b":hi")
        big = os.urandom(1 << 20)
        s.sendall(masked(2, big))
        op, _, _, p = fr.next(timeout=20)
        self.assertEqual(op, 2)
        self.assertEqual(p, name.encode() + b":" + big)
        s.sendall(masked(8, struct.pack("!H", 1000)))
        op, _, _, _ = fr.next()
        self.assertEqual(op, 8)
        self.assertIsNone(fr.next())  # both sides closed
        s.close()

    def check_affinity(self, prefix):
        seen = {}
        for user in ("alice", "bob", "carol", "dave", "erin", "frank"):
            names = set()
            for _ in range(3):
                s, status, hs, fr = self.open(prefix + "/a", user)
                self.assertIn(" 101 ", status)
                names.add(hs["x-upstream"])
                s.close()
            # a plain request of the same user (the upstream answers 403
            # to it) reaches the same endpoint
            st, h, _ = self.server.request("GET", prefix + "/plain",
                                           headers={"X-User": user})
            self.assertEqual(st, 403, h.get("x-themis-gateway-reason"))
            names.add(h["x-upstream"])
            self.assertEqual(len(names), 1, user)  # the same upstream
            seen[user] = names.pop()
        self.assertGreater(len(set(seen.values())), 1)  # not all on one

    def test_ring_hash_affinity_holds(self):
        self.check_affinity("/ws")

    def test_maglev_affinity_holds_for_websocket_and_http(self):
        self.check_affinity("/mag")

    def test_client_close_closes_the_upstream(self):
        before = self.closed_count()
        s, status, _, fr = self.open("/ws/x")
        self.assertIn(" 101 ", status)
        fr.next()
        s.close()
        deadline = time.time() + 5
        while time.time() < deadline and self.closed_count() == before:
            time.sleep(0.05)
        self.assertEqual(self.closed_count(), before + 1)

    def test_upstream_close_closes_the_client(self):
        s, status, _, fr = self.open("/ws/x")
        self.assertIn(" 101 ", status)
        fr.next()
        s.sendall(masked(1, b"bye"))
        self.assertIsNone(fr.next(timeout=5))
        s.close()

    def test_idle_timeout_closes_both(self):
        before = self.ups[0].closed
        s, status, _, fr = self.open("/idle")
        self.assertIn(" 101 ", status)
        fr.next()
        s.sendall(masked(1, b"x"))  # traffic keeps it open
        self.assertEqual(fr.next()[3], b"u0:x")
        t0 = time.time()
        self.assertIsNone(fr.next(timeout=5))
        self.assertLess(time.time() - t0, 2.5)
        deadline = time.time() + 3
        while time.time() < deadline and self.ups[0].closed == before:
            time.sleep(0.05)
        self.assertEqual(self.ups[0].closed, before + 1)
        s.close()

    def test_upstream_closing_after_each_answer(self):
        # the upstream closes after its 403 without saying so: a pooled
        # connection it closed is retried on a new one, never a 502
        for _ in range(10):
            st, h, _ = self.server.request("GET", "/refuse/plain")
            self.assertEqual(st, 403, h.get("x-themis-gateway-reason"))

    def test_refused_upgrade_is_relayed(self):
        s, status, hs, _ = self.open("/refuse/x")
        self.assertIn(" 403 ", status)
        self.assertEqual(hs["x-upstream"], "u0")
        s.close()

    def test_other_upgrades_are_refused(self):
        st, h, _ = self.server.request(
            "GET", "/ws/x", headers={"Upgrade": "foo/1", "Connection":
                                     "Upgrade"})
        self.assertEqual(st, 501)
        self.assertIn("WebSocket", h["x-themis-gateway-reason"])


if __name__ == "__main__":
    unittest.main()
