"""The PostgreSQL protocol at the byte level, from a raw socket: startup
with trust auth, SSLRequest refused with 'N', ReadyForQuery status across a
transaction, a malformed message (FATAL 08P01, no crash), the
connection limit (FATAL 53300), and draining (an idle session gets FATAL
57P01 and themisd exits 0)."""

import socket
import struct
import time
import unittest

from themis_harness import Server


def startup(user="themis", db="themis"):
    body = struct.pack("!i", 196608)
    for k, v in (("user", user), ("database", db)):
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def msg(t, payload=b""):
    return t + struct.pack("!i", len(payload) + 4) + payload


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def __del__(self):
        self.s.close()

    def send(self, b):
        self.s.sendall(b)

    def read_msg(self):
        while True:
            if len(self.buf) >= 5:
                n = struct.unpack("!i", self.buf[1:5])[0]
                if len(self.buf) >= 1 + n:
                    t, p = self.buf[:1], self.buf[5:1 + n]
                    self.buf = self.buf[1 + n:]
                    return t, p
            chunk = self.s.recv(65536)
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

    def query(self, sql):
        self.send(msg(b"Q", sql.encode() + b"\0"))
        return self.until(b"Z")


def sqlstate(payload):
    for field in payload.split(b"\0"):
        if field[:1] == b"C":
            return field[1:].decode()
    return None


class PgProtocolTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server(args=["--set", "pg.auth=trust",
                                "--set", "pg.max_connections=3"]).start()

    def tearDown(self):
        self.srv.stop()

    def connect(self):
        c = Conn(self.srv.pg_port)
        c.send(startup())
        seen, status = c.until(b"Z")
        self.assertEqual(status, b"I")
        return c

    def test_ssl_refused_then_plain_startup(self):
        c = Conn(self.srv.pg_port)
        c.send(struct.pack("!ii", 8, 80877103))
        self.assertEqual(c.s.recv(1), b"N")
        c.send(startup())
        seen, status = c.until(b"Z")
        names = {p.split(b"\0")[0] for t, p in seen if t == b"S"}
        self.assertIn(b"server_version", names)
        self.assertIn(b"integer_datetimes", names)
        self.assertTrue(any(t == b"K" for t, _ in seen))

    def test_ready_status_follows_the_transaction(self):
        c = self.connect()
        self.assertEqual(c.query("begin")[1], b"T")
        seen, status = c.query("select nope")
        self.assertEqual(status, b"E")
        self.assertEqual(sqlstate([p for t, p in seen if t == b"E"][0]),
                         "42703")
        seen, status = c.query("select 1")
        self.assertEqual(status, b"E")
        self.assertEqual(sqlstate([p for t, p in seen if t == b"E"][0]),
                         "25P02")
        self.assertEqual(c.query("rollback")[1], b"I")
        self.assertEqual(c.query("")[1], b"I")

    def test_malformed_message_is_fatal_not_a_crash(self):
        c = self.connect()
        c.send(b"Q" + struct.pack("!i", 2))  # length below 4
        t, p = c.read_msg()
        self.assertEqual(t, b"E")
        self.assertEqual(sqlstate(p), "08P01")
        self.assertEqual(c.read_msg()[0], None)  # closed
        c2 = self.connect()  # the server is fine
        self.assertEqual(c2.query("select 1")[1], b"I")

    def test_connection_limit(self):
        conns = [self.connect() for _ in range(3)]
        c = Conn(self.srv.pg_port)
        t, p = c.read_msg()
        self.assertEqual(t, b"E")
        self.assertEqual(sqlstate(p), "53300")
        del conns

    def test_drain_terminates_idle_sessions(self):
        c = self.connect()
        t0 = time.time()
        rc = self.srv.stop()
        t, p = c.read_msg()
        self.assertEqual(t, b"E")
        self.assertEqual(sqlstate(p), "57P01")
        self.assertEqual(rc, 0)
        self.assertLess(time.time() - t0, 10)


if __name__ == "__main__":
    unittest.main()
