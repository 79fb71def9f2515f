"""HTTP/2 with real clients: curl (prior knowledge, Upgrade: h2c, h2 over
TLS by ALPN), nghttp (SETTINGS from config, many streams), h2load (a
smoke load), and a raw socket for malformed frames (GOAWAY with the right
error code) and GOAWAY on drain. The handlers are the HTTP/1.1 ones."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from themis_harness import Server, free_port

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, stream, payload=b""):
    return struct.pack("!I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack("!I", stream) + payload


def read_frames(sock, timeout=5):
    """Frames until the server closes or `timeout` passes."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                break
            data += d
    except (socket.timeout, ConnectionResetError):
        pass
    frames = []
    while len(data) >= 9:
        n = struct.unpack("!I", b"\0" + data[:3])[0]
        frames.append((data[3], data[4], data[9:9 + n],
                       struct.unpack("!I", data[5:9])[0] & 0x7FFFFFFF))
        data = data[9 + n:]
    return frames


def goaway_code(frames):
    for t, _, payload, _ in frames:
        if t == 7:
            return struct.unpack("!II", payload[:8])[1]
    return None


class Http2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_h2_")
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                        cls.dir], check=True, capture_output=True, timeout=60)
        cls.https_port = free_port()
        cls.srv = Server(args=[
            "--tls-cert", os.path.join(cls.dir, "server.crt"),
            "--tls-key", os.path.join(cls.dir, "server.key"),
            "--https-port", str(cls.https_port), "--mqtts-port", "0",
            "--set", "http.h2_max_concurrent_streams=50",
            "--set", "http.max_body_bytes=100000",
            "--set", "http.body_timeout_ms=1500"]).start()
        cls.base = "http://127.0.0.1:%d" % cls.srv.port

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def curl(self, *args):
        r = subprocess.run(["curl", "-sS", "--max-time", "10", "-w",
                            "\n%{http_version} %{http_code}", *args],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        body, _, tail = r.stdout.rpartition("\n")
        return body, tail

    def test_prior_knowledge_upgrade_and_alpn(self):
        _, tail = self.curl("--http2-prior-knowledge", self.base + "/health")
        self.assertEqual(tail, "2 200")
        _, tail = self.curl("--http2", self.base + "/health")  # h2c upgrade
        self.assertEqual(tail, "2 200")
        _, tail = self.curl("--http2", "--cacert",
                            os.path.join(self.dir, "ca.crt"),
                            "https://localhost:%d/health" % self.https_port)
        self.assertEqual(tail, "2 200")
        _, tail = self.curl("--http1.1", self.base + "/health")
        self.assertEqual(tail, "1.1 200")

    def test_request_bodies_and_limits(self):
        h2 = ["--http2-prior-knowledge", "-H", "Content-Type: application/json"]
        _, tail = self.curl(*h2, "-X", "POST", "-d", '{"name": "h2docs"}',
                            self.base + "/v1/collections")
        self.assertIn(tail, ("2 200", "2 201"))
        body, tail = self.curl(*h2, "-X", "PUT", "-d", '{"v": 42}',
                               self.base + "/v1/collections/h2docs/documents/a")
        self.assertEqual(tail, "2 201", body)
        body, tail = self.curl("--http2-prior-knowledge",
                               self.base + "/v1/collections/h2docs/documents/a")
        self.assertIn('"v":42', body)
        big = os.path.join(self.dir, "big.json")
        with open(big, "w") as f:
            f.write('{"pad": "%s"}' % ("x" * 200000))
        _, tail = self.curl(*h2, "-X", "PUT", "--data-binary", "@" + big,
                            self.base + "/v1/collections/h2docs/documents/b")
        self.assertEqual(tail, "2 413")

    def test_settings_and_many_streams(self):
        r = subprocess.run(["nghttp", "-nv", self.base + "/health"],
                           capture_output=True, text=True, timeout=30)
        self.assertIn("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):50", r.stdout)
        r = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "20",
                            self.base + "/health"], capture_output=True,
                           text=True, timeout=60)
        self.assertIn("2000 succeeded, 0 failed", r.stdout, r.stdout)
        self.assertIn("status codes: 2000 2xx", r.stdout)

    def test_sse_and_compression_over_h2(self):
        self.srv.json("POST", "/v1/collections", {"name": "h2feed"})
        st, _, _ = self.srv.json("PUT", "/v1/collections/h2feed/documents/x",
                                 {"n": 1})
        self.assertEqual(st, 201)
        r = subprocess.run(
            ["curl", "-sS", "-N", "--http2-prior-knowledge", "--compressed",
             "--max-time", "2", "-D", "-",
             self.base + "/changefeed/stream?from_seq=0&collection=h2feed"],
            capture_output=True, text=True, timeout=30)
        self.assertIn("HTTP/2 200", r.stdout)
        self.assertIn('"key":"x"', r.stdout)
        self.assertIn("content-encoding: br", r.stdout)

    def raw(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        return s

    def test_reset_sse_stream_frees_the_slot(self):
        def get(stream, path):
            p = path.encode()
            block = b"\x82\x86\x04" + bytes([len(p)]) + p + b"\x41\x01x"
            return frame(1, 5, stream, block)  # HEADERS, END_STREAM|HEADERS
        s = self.raw()
        s.sendall(PREFACE + frame(4, 0, 0) +
                  get(1, "/changefeed/stream?from_seq=0"))
        time.sleep(0.5)
        s.sendall(frame(3, 0, 1, struct.pack("!I", 8)))  # RST_STREAM CANCEL
        time.sleep(0.3)
        s.sendall(get(3, "/changefeed/stream?from_seq=0"))
        data = b"".join(p for t, _, p, _ in read_frames(s, timeout=2) if t == 0)
        s.close()
        self.assertIn(b"retry:", data)
        self.assertNotIn(b"one stream per connection", data)

    def test_bad_path_and_stalled_stream(self):
        s = self.raw()
        p = b"/a%zz"
        s.sendall(PREFACE + frame(4, 0, 0) + frame(
            1, 5, 1, b"\x82\x86\x04" + bytes([len(p)]) + p + b"\x41\x01x"))
        # a request whose body never comes: RST_STREAM after the timeout
        s.sendall(frame(1, 4, 3, b"\x83\x86\x84\x41\x01x"))  # POST /
        frames = read_frames(s, timeout=4)
        s.close()
        heads = [p for t, _, p, sid in frames if t == 1 and sid == 1]
        self.assertTrue(heads and heads[0][0] == 0x8C, frames)  # :status 400
        resets = [sid for t, _, p, sid in frames if t == 3]
        self.assertIn(3, resets, frames)

    def test_malformed_frames_get_goaway(self):
        # SETTINGS whose length is not a multiple of 6: FRAME_SIZE_ERROR
        s = self.raw()
        s.sendall(PREFACE + frame(4, 0, 0, b"\0\0\0"))
        self.assertEqual(goaway_code(read_frames(s)), 0x6)
        s.close()
        # HEADERS on stream 0: PROTOCOL_ERROR
        s = self.raw()
        s.sendall(PREFACE + frame(4, 0, 0) + frame(1, 5, 0, b"\x82"))
        self.assertEqual(goaway_code(read_frames(s)), 0x1)
        s.close()
        # an HPACK block that does not decode: COMPRESSION_ERROR
        s = self.raw()
        s.sendall(PREFACE + frame(4, 0, 0) + frame(1, 5, 1, b"\xff\xff\xff"))
        self.assertEqual(goaway_code(read_frames(s)), 0x9)
        s.close()
        # a broken preface: closed without an HTTP/1.1 answer hanging
        s = self.raw()
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\0" * 20)
        frames = read_frames(s)
        s.close()
        _, tail = self.curl("--http2-prior-knowledge", self.base + "/health")
        self.assertEqual(tail, "2 200")  # and the server is fine


class DrainTest(unittest.TestCase):
    def test_goaway_on_drain(self):
        srv = Server().start()
        try:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(PREFACE + frame(4, 0, 0))
            time.sleep(0.3)
            srv.proc.send_signal(signal.SIGTERM)
            frames = read_frames(s, timeout=10)
            self.assertEqual(goaway_code(frames), 0x0)  # NO_ERROR
            self.assertEqual(srv.proc.wait(timeout=20), 0)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
