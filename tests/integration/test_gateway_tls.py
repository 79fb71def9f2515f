"""API gateway, TLS to upstreams (issue 23, second slice): themisd in front
of real HTTPS upstreams (Python http.server over ssl in threads of the
test) with a CA and certificates made by the openssl CLI in the test.
Verified chains and names, SNI sent, the system store refusing a private
CA (502 with the reason), verify: false, a name mismatch, client
certificates (mTLS), a streamed body, health checks over TLS, and
config errors."""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server  # noqa: E402
from gateway_upstreams import stop_checked  # noqa: E402


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)


def make_pki(d):
    """ca.pem, server.pem/key (localhost, 127.0.0.1), client.pem/key."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=gw test CA", "-keyout", "ca.key", "-out", "ca.pem",
            cwd=d)
    for name, ext in (("server", "subjectAltName=DNS:localhost,"
                       "IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=" + name, "-keyout", name + ".key", "-out",
                name + ".csr", cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", name + ".ext", "-out", name + ".pem", cwd=d)


class TlsUpstream:
    """HTTPS upstream; records the SNI and client certificate it saw."""

    def __init__(self, d, require_client=False):
        self.lock = threading.Lock()
        self.snis = []
        self.peers = []
        up = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                cert = self.connection.getpeercert()
                with up.lock:
                    up.peers.append(cert and dict(
                        x[0] for x in cert["subject"])["commonName"])
                n = 2000000 if self.path.endswith("/big") else 0
                body = (b"x" * n) if n else json.dumps(
                    {"path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # (in pieces: the gateway streams what is not whole)
                for i in range(0, len(body), 65536):
                    self.wfile.write(body[i:i + 65536])

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "server.pem"),
                            os.path.join(d, "server.key"))
        if require_client:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(os.path.join(d, "ca.pem"))

        def sni_cb(sock, name, c):
            with up.lock:
                up.snis.append(name)
        ctx.sni_callback = sni_cb

        class TlsServer(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                s, a = self.socket.accept()
                return ctx.wrap_socket(s, server_side=True,
                                       do_handshake_on_connect=False), a

            def finish_request(self, request, client_address):
                try:
                    request.do_handshake()
                except (ssl.SSLError, OSError):
                    return
                super().finish_request(request, client_address)

            def handle_error(self, request, client_address):
                pass

        self.server = TlsServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@unittest.skipUnless(shutil.which("openssl"), "openssl CLI not installed")
class GatewayTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_gwt_")
        make_pki(cls.dir)
        cls.up = TlsUpstream(cls.dir)
        cls.mtls = TlsUpstream(cls.dir, require_client=True)
        p = lambda n: os.path.join(cls.dir, n)  # noqa: E731
        cls.file = p("gateway.yaml")
        with open(cls.file, "w") as f:
            f.write("""
clusters:
  - name: good
    endpoints: ["localhost:%(u)d"]
    tls: {ca_file: "%(ca)s"}
    health_check: {path: /health, interval_ms: 100}
  - name: byip
    endpoints: ["127.0.0.1:%(u)d"]
    tls: {ca_file: "%(ca)s", sni: localhost}
  - name: system
    endpoints: ["127.0.0.1:%(u)d"]
    tls: {enabled: true}
  - name: noverify
    endpoints: ["127.0.0.1:%(u)d"]
    tls: {verify: false}
  - name: wrongname
    endpoints: ["127.0.0.1:%(u)d"]
    tls: {ca_file: "%(ca)s", sni: other.example}
  - name: plain
    endpoints: ["127.0.0.1:%(u)d"]
  - name: mtls
    endpoints: ["127.0.0.1:%(m)d"]
    tls: {ca_file: "%(ca)s", cert_file: "%(cc)s", key_file: "%(ck)s"}
  - name: mtls_nocert
    endpoints: ["127.0.0.1:%(m)d"]
    tls: {ca_file: "%(ca)s"}
routes:
""" % {"u": cls.up.port, "m": cls.mtls.port, "ca": p("ca.pem"),
                "cc": p("client.pem"), "ck": p("client.key")} + "".join(
                "  - {match: {prefix: /%s/}, forward: {cluster: %s, "
                "retries: 0}}\n" % (c, c) for c in (
                    "good", "byip", "system", "noverify", "wrongname",
                    "plain", "mtls", "mtls_nocert")))
        cls.server = Server(["--set", "gateway.file=" + cls.file]).start()

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls.server, cls.up.close, cls.mtls.close,
                     lambda: shutil.rmtree(cls.dir, ignore_errors=True))

    def get(self, path):
        return self.server.request("GET", path)

    def test_verified_upstream(self):
        # health checks run over TLS too: after several rounds the endpoint
        # is still in (a failing probe would make this a 503)
        time.sleep(0.5)
        st, h, b = self.get("/good/x")
        self.assertEqual(st, 200, b)
        self.assertEqual(json.loads(b)["path"], "/good/x")
        self.assertIn("localhost", self.up.snis)  # SNI from the host name
        st, _, b = self.get("/byip/y")  # an address, SNI from the config
        self.assertEqual(st, 200, b)
        # keep-alive over TLS: a second request on a pooled connection
        self.assertEqual(self.get("/good/z")[0], 200)

    def test_streamed_body_over_tls(self):
        st, h, b = self.get("/good/big")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-length"], "2000000")
        self.assertEqual(b, b"x" * 2000000)

    def test_untrusted_and_mismatched_certificates_are_502(self):
        st, h, b = self.get("/system/x")  # private CA, system store
        self.assertEqual(st, 502, b)
        reason = h["x-themis-gateway-reason"]
        self.assertIn("certificate verify failed", reason)
        self.assertIn("issuer", reason)  # "unable to get local issuer ..."
        st, h, b = self.get("/wrongname/x")
        self.assertEqual(st, 502, b)
        self.assertIn("mismatch", h["x-themis-gateway-reason"])
        st, h, b = self.get("/plain/x")  # HTTP to a TLS port
        self.assertEqual(st, 502, b)

    def test_verify_false_accepts_any_certificate(self):
        self.assertEqual(self.get("/noverify/x")[0], 200)

    def test_client_certificate(self):
        st, _, b = self.get("/mtls/x")
        self.assertEqual(st, 200, b)
        self.assertIn("client", self.mtls.peers)
        st, h, _ = self.get("/mtls_nocert/x")  # the upstream wants one
        self.assertEqual(st, 502)
        self.assertTrue(h["x-themis-gateway-reason"])

    def test_bad_tls_config_stops_the_start(self):
        bad = os.path.join(self.dir, "bad.yaml")
        for tls, key in (('{ca_file: "/nonexistent/ca.pem"}', "ca_file"),
                         ('{cert_file: "%s"}' % os.path.join(
                             self.dir, "client.pem"), "key_file"),
                         ("{verfy: false}", "verfy")):
            with open(bad, "w") as f:
                f.write("clusters:\n  - name: a\n    endpoints: "
                        "[\"127.0.0.1:1\"]\n    tls: %s\n" % tls)
            s = Server(["--set", "gateway.file=" + bad])
            try:
                s.start(wait=False)
                self.assertEqual(s.proc.wait(20), 2)
                self.assertIn(key, s.read_log())
            finally:
                if s.proc.poll() is None:
                    s.proc.kill()
                s.cleanup()


if __name__ == "__main__":
    unittest.main()
