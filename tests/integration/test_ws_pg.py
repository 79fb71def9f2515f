"""PostgreSQL wire over WebSocket at /pg (issue 19): binary messages carry
the raw protocol stream both ways (Neon's framing). A raw client on the
codec (startup, cleartext password and SCRAM-SHA-256, simple and extended
queries, the stream cut at arbitrary points across messages), Neon's
serverless driver (npm @neondatabase/serverless) if installed, and the
refusals (text frames, no upgrade)."""

import base64
import hashlib
import hmac
import os
import struct
import subprocess
import unittest

from themis_harness import Server
from ws_raw import Frames, WsStream, handshake, masked

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "node")


def startup(user, db="themis"):
    body = struct.pack("!i", 196608)
    for k, v in (("user", user), ("database", db)):
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def msg(t, payload=b""):
    return t + struct.pack("!i", len(payload) + 4) + payload


class PgWs:
    """The PostgreSQL stream over a WsStream (chunk: split sends)."""

    def __init__(self, port, chunk=0):
        self.w = WsStream(port, path="/pg", protocol=None, chunk=chunk)
        self.buf = b""

    def send(self, b):
        self.w.sendall(b)

    def read_msg(self):
        while True:
            if len(self.buf) >= 5:
                n = struct.unpack("!i", self.buf[1:5])[0]
                if len(self.buf) >= 1 + n:
                    t, p = self.buf[:1], self.buf[5:1 + n]
                    self.buf = self.buf[1 + n:]
                    return t, p
            chunk = self.w.recv(65536)
            if not chunk:
                return None, b""
            self.buf += chunk

    def until(self, t):
        seen = []
        while True:
            mt, p = self.read_msg()
            if mt is None:
                return seen, None
            seen.append((mt, p))
            if mt == t:
                return seen, p

    def login(self, user, password):
        self.send(startup(user))
        t, p = self.read_msg()
        assert t == b"R", (t, p)
        code = struct.unpack("!i", p[:4])[0]
        if code == 3:  # cleartext
            self.send(msg(b"p", password.encode() + b"\0"))
        elif code == 10:  # SASL
            t, p = self.scram(user, password)
            assert t == b"R" and struct.unpack("!i", p[:4])[0] == 12, (t, p)
        return self.until(b"Z")

    def scram(self, user, password):
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = "n=,r=" + nonce
        first = ("n,," + first_bare).encode()
        self.send(msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first))
                      + first))
        t, p = self.read_msg()
        assert t == b"R" and struct.unpack("!i", p[:4])[0] == 11, (t, p)
        server_first = p[4:].decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        salt = base64.b64decode(attrs["s"])
        iters = int(attrs["i"])
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iters)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored = hashlib.sha256(client_key).digest()
        final_wo = "c=biws,r=" + attrs["r"]
        auth_msg = ",".join([first_bare, server_first, final_wo]).encode()
        sig = hmac.new(stored, auth_msg, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        final = final_wo + ",p=" + base64.b64encode(proof).decode()
        self.send(msg(b"p", final.encode()))
        return self.read_msg()  # R 12 (server final), or E on a bad proof

    def query(self, sql):
        self.send(msg(b"Q", sql.encode() + b"\0"))
        return self.until(b"Z")


def data_rows(seen):
    rows = []
    for t, p in seen:
        if t == b"D":
            n = struct.unpack("!h", p[:2])[0]
            pos, row = 2, []
            for _ in range(n):
                ln = struct.unpack("!i", p[pos:pos + 4])[0]
                pos += 4
                row.append(None if ln < 0 else p[pos:pos + ln].decode())
                pos += max(ln, 0)
            rows.append(row)
    return rows


class PgWsTest(unittest.TestCase):
    auth = "scram-sha-256"

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "pg.auth=" + cls.auth,
                               "--set", "pg.users=alice:secret"]).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        cls.srv.cleanup()
        assert code == 0, code

    def test_login_and_query(self):
        c = PgWs(self.srv.port)
        seen, z = c.login("alice", "secret")
        self.assertEqual(z, b"I", seen)
        seen, _ = c.query("SELECT 40 + 2")
        self.assertEqual(data_rows(seen), [["42"]])
        c.w.close()

    def test_stream_cut_into_tiny_messages(self):
        c = PgWs(self.srv.port, chunk=5)  # fragments of 5 bytes
        seen, z = c.login("alice", "secret")
        self.assertEqual(z, b"I")
        c.w.chunk = 0
        # several messages in one binary message, each cut differently
        raw = msg(b"Q", b"SELECT 1\0") + msg(b"Q", b"SELECT 2\0")
        for i in range(0, len(raw), 7):
            c.w.s.sendall(masked(2, raw[i:i + 7]))
        a, _ = c.until(b"Z")
        b, _ = c.until(b"Z")
        self.assertEqual(data_rows(a) + data_rows(b), [["1"], ["2"]])
        c.w.close()

    def test_bad_password(self):
        c = PgWs(self.srv.port)
        c.send(startup("alice"))
        t, p = c.read_msg()
        self.assertEqual(t, b"R")
        if struct.unpack("!i", p[:4])[0] == 10:
            seen = [c.scram("alice", "wrong")]
        else:
            c.send(msg(b"p", b"wrong\0"))
            seen, _ = c.until(b"Z")
        self.assertTrue(any(t == b"E" and b"28P01" in p for t, p in seen),
                        seen)
        c.w.close()

    def test_ssl_request_refused(self):
        c = PgWs(self.srv.port)
        c.send(struct.pack("!ii", 8, 80877103))
        self.assertEqual(c.w.recv(10), b"N")  # TLS is the WebSocket's
        c.w.close()

    def test_text_frame_closes_1003(self):
        s, status, _, rest = handshake(self.srv.port, "/pg")
        self.assertIn("101", status)
        s.sendall(masked(1, b"SELECT 1"))
        fr = Frames(s, rest).next()
        self.assertEqual(fr[0], 8)
        self.assertEqual(struct.unpack("!H", fr[3][:2])[0], 1003)
        s.close()

    def test_plain_get_is_426(self):
        st, _, _ = self.srv.request("GET", "/pg")
        self.assertEqual(st, 426)

    def test_neon_serverless_driver(self):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules",
                                          "@neondatabase")):
            self.skipTest("@neondatabase/serverless not installed")
        p = subprocess.run(["node", "ws_pg_neon.mjs", str(self.srv.port),
                            "alice", "secret"], cwd=NODE_DIR,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr + "\n" +
                         "\n".join(self.srv.read_log().splitlines()[-20:]))


class PgWsCleartextTest(PgWsTest):
    auth = "password"


if __name__ == "__main__":
    unittest.main()
