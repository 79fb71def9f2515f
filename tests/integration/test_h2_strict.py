"""Strict HTTP/2 (issue 19) against the real themisd, with raw frames:
ALPN decides the protocol on TLS (h2 must start with the preface, else
GOAWAY PROTOCOL_ERROR; http/1.1 never becomes HTTP/2), stream-identifier
rules nghttp2 leaves out (RFC 9113 §5.1.1: a lower id is a connection
error), even ids and reuse of a closed stream, and RST_STREAM(NO_ERROR)
after an early 413 (§8.1). python3-h2's hpack/hyperframe encode frames;
python ssl negotiates ALPN."""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

import hpack  # python3-hpack (with python3-h2)

from themis_harness import Server, free_port

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, DATA, RST_STREAM, SETTINGS, GOAWAY = 1, 0, 3, 4, 7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
PROTOCOL_ERROR, STREAM_CLOSED = 0x1, 0x5


def frame(ftype, flags, stream, payload=b""):
    return (struct.pack("!I", len(payload))[1:] + bytes([ftype, flags]) +
            struct.pack("!I", stream) + payload)


class Peer:
    """A raw HTTP/2 client: frames out, frames in (bounded reads)."""

    def __init__(self, sock):
        self.sock = sock
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.buf = b""
        self.closed = False

    def start(self, ack=True):
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
        if ack:  # (acknowledge the server's SETTINGS once seen)
            self.until(lambda fs: any(f[0] == SETTINGS and not f[1] & ACK
                                      for f in fs))
            self.sock.sendall(frame(SETTINGS, ACK, 0))

    def headers(self, sid, path="/health", method="GET", end=True,
                extra=()):
        block = self.enc.encode([(":method", method), (":scheme", "http"),
                                 (":path", path), (":authority", "x")] +
                                list(extra))
        self.sock.sendall(frame(HEADERS, END_HEADERS | (END_STREAM if end
                                                        else 0), sid, block))

    def frames(self, timeout=0.3):
        """Whatever arrives within `timeout` (or until EOF), parsed."""
        self.sock.settimeout(timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    self.closed = True
                    break
                self.buf += d
        except (socket.timeout, ConnectionResetError, ssl.SSLError):
            pass
        out = []
        while len(self.buf) >= 9:
            n = struct.unpack("!I", b"\0" + self.buf[:3])[0]
            if len(self.buf) < 9 + n:
                break
            f = (self.buf[3], self.buf[4],
                 struct.unpack("!I", self.buf[5:9])[0] & 0x7FFFFFFF,
                 self.buf[9:9 + n])
            self.buf = self.buf[9 + n:]
            if f[0] == HEADERS:
                f = f + (dict(self.dec.decode(f[3])),)
            out.append(f)
        return out

    def until(self, cond, timeout=10):
        """Frames until cond(all frames so far) holds (bounded)."""
        seen, deadline = [], time.time() + timeout
        while time.time() < deadline:
            seen += self.frames()
            if cond(seen) or self.closed:
                return seen
        return seen


def goaway_code(fs):
    for f in fs:
        if f[0] == GOAWAY:
            return struct.unpack("!II", f[3][:8])[1]
    return None


def has_goaway(fs):
    return goaway_code(fs) is not None


class StrictH2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_h2s_")
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                        cls.dir], check=True, capture_output=True, timeout=60)
        cls.https_port = free_port()
        cls.srv = Server(args=[
            "--tls-cert", os.path.join(cls.dir, "server.crt"),
            "--tls-key", os.path.join(cls.dir, "server.key"),
            "--https-port", str(cls.https_port), "--mqtts-port", "0",
            "--set", "http.max_body_bytes=1000"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tls(self, alpn):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(alpn)
        s = ctx.wrap_socket(socket.create_connection(
            ("127.0.0.1", self.https_port), timeout=10),
            server_hostname="localhost")
        self.addCleanup(s.close)
        return s

    def h2c(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        self.addCleanup(s.close)
        p = Peer(s)
        p.start()
        return p

    def read_all(self, s, timeout=5):
        s.settimeout(timeout)
        data = b""
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        except (socket.timeout, ConnectionResetError, ssl.SSLError):
            pass
        return data

    # -- ALPN ---------------------------------------------------------------

    def test_alpn_h2_without_preface_is_goaway_protocol_error(self):
        s = self.tls(["h2"])
        self.assertEqual(s.selected_alpn_protocol(), "h2")
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        p = Peer(s)
        fs = p.until(has_goaway)
        self.assertEqual(goaway_code(fs), PROTOCOL_ERROR, fs)
        self.assertNotIn(b"HTTP/1.1", p.buf)
        self.assertTrue(p.until(lambda fs: False, timeout=3) == [] and
                        p.closed, "the connection closes")

    def test_alpn_h2_with_preface_is_served(self):
        s = self.tls(["h2"])
        p = Peer(s)
        p.start()
        p.headers(1)
        fs = p.until(lambda fs: any(f[0] == DATA and f[1] & END_STREAM
                                    for f in fs))
        heads = [f for f in fs if f[0] == HEADERS]
        self.assertEqual(heads[0][4][":status"], "200")

    def test_alpn_http11_never_speaks_h2(self):
        s = self.tls(["http/1.1"])
        self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
        s.sendall(PREFACE + frame(SETTINGS, 0, 0))
        data = self.read_all(s)
        # "PRI * HTTP/2.0" read as HTTP/1.1: version 2.0 → 505, then close
        self.assertTrue(data.startswith(b"HTTP/1.1 505"), data[:200])
        self.assertIn(b"Connection: close", data)
        self.assertNotEqual(data[3:4], bytes([SETTINGS]))
        # and HTTP/1.1 works there
        s2 = self.tls(["http/1.1"])
        s2.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close"
                   b"\r\n\r\n")
        self.assertTrue(self.read_all(s2).startswith(b"HTTP/1.1 200"))

    def test_no_alpn_still_sniffs_the_preface(self):
        # a TLS client without ALPN: the preface decides, as before
        s = self.tls([])
        self.assertIsNone(s.selected_alpn_protocol())
        p = Peer(s)
        p.start()
        p.headers(1)
        fs = p.until(lambda fs: any(f[0] == HEADERS for f in fs))
        self.assertEqual([f for f in fs if f[0] == HEADERS][0][4][":status"],
                         "200")

    # -- stream identifiers ---------------------------------------------------

    def test_lower_stream_id_is_a_connection_error(self):
        p = self.h2c()
        p.headers(5)
        p.until(lambda fs: any(f[0] == DATA and f[2] == 5 and
                               f[1] & END_STREAM for f in fs))
        p.headers(3)  # lower than 5, never opened (RFC 9113 §5.1.1)
        fs = p.until(has_goaway)
        self.assertEqual(goaway_code(fs), PROTOCOL_ERROR, fs)
        last = struct.unpack("!I", [f for f in fs if f[0] == GOAWAY][0][3]
                             [:4])[0]
        self.assertEqual(last, 5)

    def test_even_stream_id_is_a_connection_error(self):
        p = self.h2c()
        p.headers(2)
        self.assertEqual(goaway_code(p.until(has_goaway)), PROTOCOL_ERROR)

    def test_headers_on_a_closed_stream(self):
        p = self.h2c()
        p.headers(1)
        p.until(lambda fs: any(f[2] == 1 and f[1] & END_STREAM and f[0] in
                               (DATA, HEADERS) for f in fs))
        p.headers(3)
        p.until(lambda fs: any(f[2] == 3 and f[1] & END_STREAM and f[0] in
                               (DATA, HEADERS) for f in fs))
        p.headers(1)  # stream 1 is closed (END_STREAM both ways)
        self.assertEqual(goaway_code(p.until(has_goaway)), STREAM_CLOSED)

    def test_headers_on_half_closed_remote_stream(self):
        # nghttp2's own check: the client already ended stream 1
        p = self.h2c()
        p.headers(1, path="/changefeed/stream?from_seq=now")  # stays open
        p.until(lambda fs: any(f[0] == HEADERS and f[2] == 1 for f in fs))
        p.headers(1)
        self.assertEqual(goaway_code(p.until(has_goaway)), STREAM_CLOSED)

    # -- early answers --------------------------------------------------------

    def test_early_413_then_rst_stream_no_error(self):
        p = self.h2c()
        p.headers(1, path="/entities/h2s:big", method="PUT", end=False,
                  extra=[("content-type", "application/json")])
        p.sock.sendall(frame(DATA, 0, 1, b"x" * 1500))  # over 1000: 413
        fs = p.until(lambda fs: any(f[0] == RST_STREAM for f in fs))
        heads = [f for f in fs if f[0] == HEADERS and f[2] == 1]
        self.assertEqual(heads[0][4][":status"], "413")
        ends = [i for i, f in enumerate(fs) if f[2] == 1 and
                f[0] in (DATA, HEADERS) and f[1] & END_STREAM]
        rst = [i for i, f in enumerate(fs) if f[0] == RST_STREAM]
        self.assertTrue(ends and rst and ends[0] < rst[0], fs)
        self.assertEqual(fs[rst[0]][2], 1)
        self.assertEqual(struct.unpack("!I", fs[rst[0]][3])[0], 0)  # NO_ERROR
        # the client's late frames on the stream we reset are ignored
        # (RFC 9113 §5.1), the connection goes on
        p.sock.sendall(frame(DATA, 0, 1, b"y" * 10))
        p.headers(1, extra=[("x-trailer", "1")])  # trailers, END_STREAM
        p.headers(3)
        fs = p.until(lambda fs: any(f[0] == HEADERS and f[2] == 3
                                    for f in fs))
        self.assertFalse(has_goaway(fs), fs)
        self.assertEqual([f for f in fs if f[0] == HEADERS and f[2] == 3][0]
                         [4][":status"], "200")

    def test_unknown_lower_id_after_many_streams(self):
        # many streams, then one far below: still PROTOCOL_ERROR
        p = self.h2c()
        for sid in range(1, 60, 2):
            p.headers(sid)
        p.until(lambda fs: sum(1 for f in fs if f[0] == DATA and
                               f[1] & END_STREAM) >= 30)
        p.headers(61)
        p.until(lambda fs: any(f[2] == 61 for f in fs))
        p.headers(59)  # closed normally: STREAM_CLOSED
        self.assertEqual(goaway_code(p.until(has_goaway)), STREAM_CLOSED)


if __name__ == "__main__":
    unittest.main()
