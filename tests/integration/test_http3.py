"""HTTP/3 over QUIC against the real themisd, driven by ngtcp2's example
client (Debian ngtcp2-client: gtlsclient, GnuTLS) and curl where it has
HTTP/3: /health and a REST document round trip over h3, an SSE changefeed
over h3 receiving a write, Alt-Svc on HTTP/1.1 and h2 TLS answers, a drain
during an h3 stream that still finishes it, Retry (address validation),
and garbage datagrams (random bytes, truncated Initial, huge datagrams,
unknown versions, unknown connection IDs) that leave the server answering.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from themis_harness import Server, free_port

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
GTLSCLIENT = shutil.which("gtlsclient")


def make_certs(path):
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                    path], check=True, capture_output=True, timeout=60)


def free_udp_port():
    """A port free for both TCP (HTTPS) and UDP (HTTP/3)."""
    for _ in range(50):
        p = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            try:
                u.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
    raise RuntimeError("no free port")


HEADER = re.compile(r"^http: stream 0x([0-9a-f]+) \[([^:\]]*:?[^:\]]*): (.*)\]$")
HEXLINE = re.compile(r"^[0-9a-f]{8}  ((?:[0-9a-f]{2} +){1,16})")


def parse(out):
    """gtlsclient's output: response headers and body bytes (one stream
    per run; the body comes as a hex dump)."""
    headers, body = {}, bytearray()
    for line in out.splitlines():
        m = HEADER.match(line)
        if m:
            headers[m.group(2).lower()] = m.group(3)
            continue
        m = HEXLINE.match(line)
        if m:
            body += bytes(int(h, 16) for h in m.group(1).split())
    return headers, bytes(body)


def h3_stream(port, path, *flags):
    """gtlsclient on one long request (an SSE stream): (process, output
    lines as they arrive, the thread collecting them)."""
    proc = subprocess.Popen(
        [GTLSCLIENT, "--no-quic-dump", *flags, "127.0.0.1", str(port),
         "https://localhost:%d%s" % (port, path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = []
    reader = threading.Thread(
        target=lambda: out.extend(iter(proc.stdout.readline, b"")))
    reader.start()
    return proc, out, reader


def wait_for(out, needle, deadline):
    """Whether `needle` appeared in the collected output by `deadline`."""
    while time.time() < deadline and needle not in b"".join(out):
        time.sleep(0.05)
    return needle in b"".join(out)


def h3(port, path, method=None, data=None, timeout=15, extra=()):
    """One request over HTTP/3; (status, headers, body, raw output)."""
    args = [GTLSCLIENT, "--no-quic-dump", "--exit-on-all-streams-close",
            "--timeout=10s", *extra]
    tmp = None
    if method:
        args.append("--http-method=" + method)
    if data is not None:
        tmp = tempfile.NamedTemporaryFile(delete=False)
        tmp.write(data if isinstance(data, bytes) else data.encode())
        tmp.close()
        args.append("--data=" + tmp.name)
    args += ["127.0.0.1", str(port), "https://localhost:%d%s" % (port, path)]
    try:
        r = subprocess.run(args, capture_output=True, timeout=timeout)
    finally:
        if tmp:
            os.unlink(tmp.name)
    out = (r.stdout + r.stderr).decode(errors="replace")
    headers, body = parse(out)
    status = int(headers.get(":status", "0"))
    return status, headers, body, out


@unittest.skipUnless(GTLSCLIENT, "ngtcp2-client (gtlsclient) not installed")
class Http3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_h3_")
        make_certs(cls.dir)
        c = lambda f: os.path.join(cls.dir, f)  # noqa: E731
        cls.ca = c("ca.crt")
        cls.port = free_udp_port()
        cls.srv = Server(args=[
            "--tls-cert", c("server.crt"), "--tls-key", c("server.key"),
            "--https-port", str(cls.port), "--mqtts-port", "0",
            "--set", "changefeed.heartbeat_ms=500"]).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        log = cls.srv.read_log()
        cls.srv.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, "themisd exit code %r\n%s" % (code, log[-3000:])

    def metric(self, name):
        _, _, body = self.srv.request("GET", "/metrics")
        m = re.search(r"^%s (\S+)$" % re.escape(name), body.decode(), re.M)
        return float(m.group(1)) if m else None

    def test_health_over_h3(self):
        st, hs, body, out = h3(self.port, "/health")
        self.assertEqual(st, 200, out[-2000:])
        self.assertEqual(json.loads(body)["status"], "healthy")
        self.assertEqual(hs.get("server"), "themisd")
        # a graceful end: the stream closed with H3_NO_ERROR (0x100)
        self.assertIn("closed with error code 256", out)
        self.assertGreaterEqual(self.metric("themis_quic_handshakes_total"), 1)

    def test_document_round_trip(self):
        doc = {"blob": json.dumps({"via": "h3", "n": 19})}
        st, _, body, out = h3(self.port, "/entities/h3docs:k1", method="PUT",
                              data=json.dumps(doc))
        self.assertIn(st, (200, 201), out[-2000:])
        self.assertEqual(json.loads(body)["key"], "h3docs:k1")
        st, _, body, out = h3(self.port, "/entities/h3docs:k1")
        self.assertEqual(st, 200, out[-2000:])
        self.assertEqual(json.loads(json.loads(body)["blob"]),
                         {"via": "h3", "n": 19})
        # the same document over HTTP/1.1: one store behind both
        st, _, b = self.srv.json("GET", "/entities/h3docs:k1")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(b["blob"]), {"via": "h3", "n": 19})
        # a missing one: 404 with the JSON error body
        st, _, body, _ = h3(self.port, "/entities/h3docs:nope")
        self.assertEqual(st, 404)
        self.assertTrue(json.loads(body)["error"])

    def test_connection_migration_and_nat_rebinding(self):
        # the client moves to a new local port (a new path: PATH_CHALLENGE
        # both ways), then sends its request: routing follows the
        # connection ID, not the address
        for opts in (["--change-local-addr=300ms"],
                     ["--nat-rebinding", "--change-local-addr=300ms"]):
            st, _, body, out = h3(self.port, "/health", extra=(
                *opts, "--delay-stream=1s"))
            self.assertIn("Local address is now", out)
            self.assertEqual(st, 200, out[-3000:])
            self.assertEqual(json.loads(body)["status"], "healthy")

    def test_request_body_limit_413(self):
        srv = Server(args=[
            "--tls-cert", os.path.join(self.dir, "server.crt"),
            "--tls-key", os.path.join(self.dir, "server.key"),
            "--https-port", str(free_udp_port()), "--mqtts-port", "0",
            "--set", "http.max_body_bytes=1000"]).start()
        try:
            port = int(re.search(r"HTTP/3 \(QUIC, UDP\) on [^:]+:(\d+)",
                                 srv.read_log()).group(1))
            st, _, body, out = h3(port, "/entities/big:k", method="PUT",
                                  data=b"x" * 50000)
            self.assertEqual(st, 413, out[-2000:])
            self.assertEqual(json.loads(body)["max_bytes"], 1000)
        finally:
            srv.stop()
            srv.cleanup()

    def test_sse_changefeed_over_h3(self):
        _, _, tip = self.srv.json("GET", "/changefeed?from_seq=now")
        path = "/changefeed/stream?from_seq=%d" % tip["latest_sequence"]
        proc, out, reader = h3_stream(self.port, path, "--timeout=10s")
        try:
            deadline = time.time() + 10
            self.assertTrue(wait_for(out, b"[:status: 200]", deadline),
                            b"".join(out)[-2000:])
            st, _, _ = self.srv.json("PUT", "/entities/h3feed:live1",
                                     {"blob": "{}"})
            self.assertIn(st, (200, 201))
            found = False
            while time.time() < deadline and not found:
                _, body = parse(b"".join(out).decode(errors="replace"))
                found = b"live1" in body
                time.sleep(0.05)
            self.assertTrue(found, b"".join(out)[-3000:])
        finally:
            proc.kill()
            proc.wait()
            reader.join(5)
        headers, body = parse(b"".join(out).decode(errors="replace"))
        self.assertTrue(headers.get("content-type", "").startswith(
            "text/event-stream"), headers)
        self.assertIn(b"event:", body)

    def test_sse_backfill_paced_by_acknowledgements(self):
        # 150 events to backfill: pages go out as the client acknowledges
        # the previous ones (stream_backlog), all arrive, in order
        _, _, tip = self.srv.json("GET", "/changefeed?from_seq=now")
        start = tip["latest_sequence"]
        for i in range(150):
            st, _, _ = self.srv.request("PUT", "/entities/h3bf:k%03d" % i,
                                        {"blob": json.dumps({"i": i})})
            self.assertIn(st, (200, 201))
        path = "/changefeed/stream?from_seq=%d" % start
        proc, out, reader = h3_stream(self.port, path, "--timeout=10s",
                                      "--max-stream-data-bidi-local=4096")
        try:
            deadline = time.time() + 20
            body = b""
            while time.time() < deadline and b'"key":"k149"' not in body:
                time.sleep(0.1)
                body = parse(b"".join(out).decode(errors="replace"))[1]
        finally:
            proc.kill()
            proc.wait()
            reader.join(5)
        keys = re.findall(rb'"collection":"h3bf","key":"k(\d{3})"', body)
        seen = sorted(set(int(k) for k in keys))
        self.assertEqual(seen, list(range(150)), body[-1500:])
        firsts = []
        for k in keys:  # first appearance order is the commit order
            if int(k) not in firsts:
                firsts.append(int(k))
        self.assertEqual(firsts, list(range(150)))

    def test_alt_svc_on_tls_answers(self):
        want = 'h3=":%d"; ma=86400' % self.port
        for proto in ("--http2", "--http1.1"):
            r = subprocess.run(
                ["curl", "-sS", "--cacert", self.ca, proto, "-D", "-", "-o",
                 "/dev/null", "https://localhost:%d/health" % self.port],
                capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("alt-svc: " + want, r.stdout.lower(), r.stdout)
        # clear-text HTTP does not advertise it (browsers only use h3 for
        # https origins)
        _, hs, _ = self.srv.request("GET", "/health")
        self.assertNotIn("alt-svc", hs)

    @unittest.skipUnless(
        "HTTP3" in subprocess.run(["curl", "-V"], capture_output=True,
                                  text=True).stdout,
        "this curl has no HTTP/3")
    def test_curl_http3(self):
        r = subprocess.run(
            ["curl", "-sS", "--http3-only", "--cacert", self.ca,
             "https://localhost:%d/health" % self.port],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_garbage_datagrams_do_not_hurt(self):
        before = self.metric("themis_quic_dropped_datagrams_total") or 0
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.5)
        dest = ("127.0.0.1", self.port)
        rnd = os.urandom
        datagrams = [rnd(n) for n in (1, 7, 20, 100, 1200, 1500)]
        # a truncated Initial: long header, version 1, then nothing
        datagrams.append(bytes([0xc0, 0, 0, 0, 1, 8]) + rnd(4))
        # an Initial-looking datagram with a garbage (undecryptable) payload
        datagrams.append(bytes([0xc3, 0, 0, 0, 1, 8]) + rnd(8) + bytes([8])
                         + rnd(8) + bytes([0, 0x44, 0xb0]) + rnd(1180))
        # huge
        datagrams.append(rnd(65000))
        for d in datagrams * 3:
            s.sendto(d, dest)
        s.close()

        def ask(probe):
            """Sends `probe` from a fresh socket; the first answer."""
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as q:
                q.settimeout(5)
                q.sendto(probe, dest)
                return q.recvfrom(2048)[0]

        # an unknown version (long header, >= 1200 bytes): Version
        # Negotiation lists version 1
        vn = ask(bytes([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8]) + rnd(8) +
                 bytes([8]) + rnd(8) + rnd(1200))
        self.assertEqual(vn[1:5], b"\0\0\0\0")  # version 0: negotiation
        self.assertIn(b"\0\0\0\1", vn[5:])
        # a short-header packet for a connection we never had: a
        # Stateless Reset, smaller than what triggered it
        probe = bytes([0x40]) + rnd(18) + rnd(60)
        reset = ask(probe)
        self.assertLess(len(reset), len(probe))
        self.assertEqual(reset[0] & 0xc0, 0x40)
        # still answering, on every protocol
        st, _, _, out = h3(self.port, "/health")
        self.assertEqual(st, 200, out[-2000:])
        st, _, _ = self.srv.request("GET", "/health")
        self.assertEqual(st, 200)
        self.assertGreater(self.metric("themis_quic_dropped_datagrams_total"),
                           before)
        self.assertGreaterEqual(
            self.metric("themis_quic_stateless_resets_total"), 1)


@unittest.skipUnless(GTLSCLIENT, "ngtcp2-client (gtlsclient) not installed")
class Http3LifecycleTest(unittest.TestCase):
    """Servers of their own: Retry, drain, and the port options."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_h3l_")
        make_certs(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def server(self, *extra):
        port = free_udp_port()
        c = lambda f: os.path.join(self.dir, f)  # noqa: E731
        srv = Server(args=["--tls-cert", c("server.crt"), "--tls-key",
                           c("server.key"), "--https-port", str(port),
                           "--mqtts-port", "0", *extra]).start()
        return srv, port

    def test_retry_validates_the_address(self):
        srv, port = self.server("--set", "tls.h3_retry=true")
        try:
            st, _, _, out = h3(port, "/health")
            self.assertEqual(st, 200, out[-2000:])
            self.assertIn("Retry", out)  # the client saw our Retry packet
            _, _, m = srv.request("GET", "/metrics")
            self.assertRegex(m.decode(), r"themis_quic_retries_total [1-9]")
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()

    def test_drain_finishes_an_open_h3_stream(self):
        srv, port = self.server("--set", "changefeed.heartbeat_ms=200")
        proc, out, reader = h3_stream(port, "/changefeed/stream?from_seq=0",
                                      "--exit-on-all-streams-close",
                                      "--timeout=10s")
        try:
            deadline = time.time() + 10
            self.assertTrue(wait_for(out, b"[:status: 200]", deadline),
                            b"".join(out)[-2000:])
            srv.proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)  # the stream ended: the client exits
            self.assertEqual(srv.proc.wait(timeout=20), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
            reader.join(5)
            srv.cleanup()
        text = b"".join(out).decode(errors="replace")
        _, body = parse(text)
        self.assertIn(b"shutting down", body)
        # the stream ended cleanly (FIN, H3_NO_ERROR), then the connection
        self.assertIn("closed with error code 256", text)

    def test_drain_does_not_wait_for_a_vanished_client(self):
        # a client killed with its SSE stream open never acknowledges the
        # stream's end: the draining connection closes once the peer has
        # been silent (max(3 PTO, 1 s)), not at server.drain_timeout_ms
        srv, port = self.server("--set", "server.drain_timeout_ms=10000")
        proc, out, reader = h3_stream(port, "/changefeed/stream?from_seq=0",
                                      "--timeout=30s")
        try:
            deadline = time.time() + 10
            self.assertTrue(wait_for(out, b"[:status: 200]", deadline),
                            b"".join(out)[-2000:])
            proc.kill()
            proc.wait()
            t0 = time.time()
            srv.proc.send_signal(signal.SIGTERM)
            self.assertEqual(srv.proc.wait(timeout=20), 0)
            self.assertLess(time.time() - t0, 8.0)
        finally:
            if proc.poll() is None:
                proc.kill()
            reader.join(5)
            srv.cleanup()

    def test_sighup_reloads_the_quic_certificate(self):
        d = tempfile.mkdtemp(prefix="themis_h3r_")
        try:
            make_certs(d)
            c = lambda f: os.path.join(d, f)  # noqa: E731
            port = free_udp_port()
            srv = Server(args=["--tls-cert", c("server.crt"), "--tls-key",
                               c("server.key"), "--https-port", str(port),
                               "--mqtts-port", "0"]).start()
            try:
                st, _, _, out = h3(port, "/health")
                self.assertEqual(st, 200, out[-2000:])
                fresh = os.path.join(d, "fresh")
                os.mkdir(fresh)
                make_certs(fresh)
                for f in ("server.crt", "server.key"):
                    shutil.copy(os.path.join(fresh, f), c(f))
                srv.proc.send_signal(signal.SIGHUP)
                deadline = time.time() + 10
                while (time.time() < deadline and "TLS certificates reloaded"
                       not in srv.read_log()):
                    time.sleep(0.05)
                st, _, _, out = h3(port, "/health")  # a new connection
                self.assertEqual(st, 200, out[-2000:])
                self.assertIn("HTTP/3: TLS certificate reloaded",
                              srv.read_log())
            finally:
                self.assertEqual(srv.stop(), 0)
                srv.cleanup()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_h3_port_zero_disables(self):
        srv, port = self.server("--h3-port", "0")
        try:
            self.assertNotIn("HTTP/3", srv.read_log())
            r = subprocess.run(
                ["curl", "-sS", "-k", "-D", "-", "-o", "/dev/null",
                 "https://localhost:%d/health" % port],
                capture_output=True, text=True, timeout=30)
            self.assertNotIn("alt-svc", r.stdout.lower())
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
