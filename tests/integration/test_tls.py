"""TLS on every listener, driven by real clients: curl over HTTPS (TLS 1.3,
ALPN), openssl s_client (TLS 1.2 refused, SNI, ALPN), psql with
sslmode=require and verify-full, mosquitto_pub/sub over MQTTS, a
clear-text client on the TLS port, client certificates (mTLS), and a
certificate reload on SIGHUP. Certificates come from scripts/dev-certs.sh."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from themis_harness import Server, free_port

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def make_certs(path, *names):
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                    path, *names], check=True, capture_output=True,
                   timeout=60)


def s_client(port, *args, stdin=b""):
    r = subprocess.run(["openssl", "s_client", "-connect",
                        "127.0.0.1:%d" % port, *args], input=stdin,
                       capture_output=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_tls_")
        make_certs(cls.dir)
        c = lambda f: os.path.join(cls.dir, f)  # noqa: E731
        cls.ca = c("ca.crt")
        cls.https_port = free_port()
        cls.mqtts_port = free_port()
        cls.srv = Server(args=[
            "--tls-cert", c("server.crt"), "--tls-key", c("server.key"),
            "--https-port", str(cls.https_port),
            "--mqtts-port", str(cls.mqtts_port),
            "--set", "tls.handshake_timeout_ms=1000",
            "--set", "tls.sni=other.test=%s:%s" % (c("other.crt"),
                                                   c("other.key"))]).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def curl(self, *args):
        return subprocess.run(
            ["curl", "-sS", "--cacert", self.ca, "--max-time", "10", *args],
            capture_output=True, text=True, timeout=30)

    def test_https_with_tls13(self):
        r = self.curl("--tlsv1.3", "-w", "\n%{http_code} %{http_version}",
                      "https://localhost:%d/health/ready" % self.https_port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.endswith("200 2"), r.stdout)  # h2 by ALPN
        r = self.curl("--tlsv1.3", "--http1.1", "-w", "\n%{http_code} %{http_version}",
                      "https://localhost:%d/health/ready" % self.https_port)
        self.assertTrue(r.stdout.endswith("200 1.1"), r.stdout)
        # a request body and keep-alive over TLS
        r = self.curl("-X", "POST", "-H", "Content-Type: application/json",
                      "-d", '{"name": "tlsdocs"}', "-w", "\n%{http_code}",
                      "https://localhost:%d/v1/collections" % self.https_port)
        self.assertIn(r.stdout.rsplit("\n", 1)[1], ("200", "201"), r.stdout)

    def test_tls12_refused_and_alpn(self):
        rc, out = s_client(self.https_port, "-tls1_2")
        self.assertNotEqual(rc, 0)
        self.assertIn("alert protocol version", out)
        rc, out = s_client(self.https_port, "-alpn", "h2,http/1.1",
                           "-servername", "localhost")
        self.assertIn("ALPN protocol: h2", out)
        self.assertIn("TLSv1.3", out)
        _, out = s_client(self.https_port, "-alpn", "http/1.1")
        self.assertIn("ALPN protocol: http/1.1", out)
        # strict per listener: the HTTPS port does not agree to "mqtt"
        _, out = s_client(self.https_port, "-alpn", "mqtt")
        self.assertIn("No ALPN negotiated", out)
        _, out = s_client(self.mqtts_port, "-alpn", "mqtt")
        self.assertIn("ALPN protocol: mqtt", out)

    def test_sni_picks_the_certificate(self):
        _, out = s_client(self.https_port, "-servername", "other.test")
        self.assertIn("CN = other.test", out)
        _, out = s_client(self.https_port, "-servername", "localhost")
        self.assertIn("CN = localhost", out)

    def test_clear_text_on_the_tls_port(self):
        with socket.create_connection(("127.0.0.1", self.https_port),
                                      timeout=10) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            data = s.recv(4096)
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data)
        with socket.create_connection(("127.0.0.1", self.https_port),
                                      timeout=10) as s:
            s.sendall(b"\x00\x01garbage" * 10)
            s.settimeout(10)
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass  # closed: what matters is that it did not hang
        st, _, body = self.srv.request("GET", "/metrics")
        self.assertRegex(body.decode(),
                         r"themis_tls_handshake_failures_total [1-9]")
        r = self.curl("https://localhost:%d/health" % self.https_port)
        self.assertEqual(r.returncode, 0, r.stderr)  # still serving

    def test_stalled_handshake_is_closed(self):
        t0 = time.time()
        with socket.create_connection(("127.0.0.1", self.https_port),
                                      timeout=10) as s:
            s.settimeout(10)
            try:
                self.assertEqual(s.recv(100), b"")  # closed, nothing sent
            except ConnectionResetError:
                pass
        self.assertLess(time.time() - t0, 5)

    def psql(self, sslmode, extra=""):
        env = dict(os.environ, PGPASSWORD="themis", PGCONNECT_TIMEOUT="10")
        dsn = ("host=localhost port=%d user=themis dbname=themis "
               "sslmode=%s %s" % (self.srv.pg_port, sslmode, extra))
        return subprocess.run(["psql", dsn, "-X", "-A", "-t", "-c",
                               "select 40 + 2"], capture_output=True,
                              text=True, env=env, timeout=60)

    def test_psql_over_tls(self):
        for mode, extra in (("require", ""),
                            ("verify-full", "sslrootcert=" + self.ca)):
            r = self.psql(mode, extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), "42")
        r = self.psql("disable")  # clear text stays allowed
        self.assertEqual(r.stdout.strip(), "42", r.stderr)
        # verify-full against a CA that did not sign the certificate
        other = tempfile.mkdtemp(prefix="themis_tls_other_")
        try:
            make_certs(other)
            r = self.psql("verify-full",
                          "sslrootcert=" + os.path.join(other, "ca.crt"))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("certificate verify failed", r.stderr)
        finally:
            shutil.rmtree(other, ignore_errors=True)

    def test_libpqxx_over_tls(self):
        # the whole libpqxx program (prepared statements, binary results,
        # pipeline, 20,000-row cursor, cancel) over verify-full TLS
        client = os.environ.get("PQXX_CLIENT") or os.path.join(
            ROOT, "build", "tests", "pqxx_client")
        dsn = ("host=localhost port=%d user=themis password=themis "
               "dbname=themis sslmode=verify-full sslrootcert=%s" % (
                   self.srv.pg_port, self.ca))
        r = subprocess.run([client, dsn], capture_output=True, text=True,
                           timeout=180)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_mqtt_over_tls(self):
        tls = ["-p", str(self.mqtts_port), "-h", "localhost", "--cafile",
               self.ca]
        s = subprocess.Popen(["mosquitto_sub", *tls, "-t", "secure/#", "-v",
                              "-C", "1", "-W", "10", "-q", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(0.8)
        r = subprocess.run(["mosquitto_pub", *tls, "-t", "secure/t", "-m",
                            "over tls", "-q", "1"], capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        out, err = s.communicate(timeout=20)
        self.assertEqual(out.strip(), "secure/t over tls", err)

    def test_sighup_reloads_the_certificate(self):
        def fingerprint():
            _, out = s_client(self.https_port, "-servername", "localhost")
            pem = out[out.index("-----BEGIN CERTIFICATE-----"):
                      out.index("-----END CERTIFICATE-----") + 25]
            r = subprocess.run(["openssl", "x509", "-noout", "-fingerprint"],
                               input=pem.encode(), capture_output=True)
            return r.stdout
        before = fingerprint()
        # a long-lived connection opened before the reload keeps working
        keep = socket.create_connection(("127.0.0.1", self.mqtts_port))
        fresh = tempfile.mkdtemp(prefix="themis_tls_new_")
        try:
            make_certs(fresh)
            for f in ("server.crt", "server.key"):
                shutil.copy(os.path.join(fresh, f), os.path.join(self.dir, f))
            self.srv.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while fingerprint() == before and time.time() < deadline:
                time.sleep(0.2)
            self.assertNotEqual(fingerprint(), before)
            shutil.copy(os.path.join(fresh, "ca.crt"), self.ca)
            r = self.curl("https://localhost:%d/health" % self.https_port)
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            keep.close()
            shutil.rmtree(fresh, ignore_errors=True)


class MutualTlsTest(unittest.TestCase):
    def test_client_certificate_required(self):
        d = tempfile.mkdtemp(prefix="themis_mtls_")
        try:
            make_certs(d)
            c = lambda f: os.path.join(d, f)  # noqa: E731
            port = free_port()
            srv = Server(args=[
                "--tls-cert", c("server.crt"), "--tls-key", c("server.key"),
                "--https-port", str(port), "--mqtts-port", "0",
                "--set", "tls.client_ca=" + c("ca.crt"),
                "--set", "tls.client_auth=required"]).start()
            try:
                base = ["curl", "-sS", "--cacert", c("ca.crt"), "--max-time",
                        "10", "https://localhost:%d/health" % port]
                r = subprocess.run(base, capture_output=True, text=True)
                self.assertNotEqual(r.returncode, 0)
                r = subprocess.run(base + ["--cert", c("client.crt"),
                                           "--key", c("client.key")],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
            finally:
                srv.stop()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_client_certificates_are_principals(self):
        # auth.required; the certificate's CN (device-42) is bound to
        # tenant acme by auth.principals: no token or password needed
        d = tempfile.mkdtemp(prefix="themis_mtls_")
        try:
            make_certs(d)
            c = lambda f: os.path.join(d, f)  # noqa: E731
            https, mqtts = free_port(), free_port()
            srv = Server(args=[
                "--tls-cert", c("server.crt"), "--tls-key", c("server.key"),
                "--https-port", str(https), "--mqtts-port", str(mqtts),
                "--set", "tls.client_ca=" + c("ca.crt"),
                "--set", "tls.client_auth=optional",
                "--set", "auth.jwt_secret=an unused secret, long enough!",
                "--set", "auth.principals=device-42 tenant=acme "
                         "scope=data:read scope=data:write"],
                env={"THEMIS_AUTH_REQUIRED": "true"}).start()
            try:
                cert = ["--cert", c("client.crt"), "--key", c("client.key")]
                url = "https://localhost:%d/v1/collections" % https

                def curl(*args):
                    return subprocess.run(
                        ["curl", "-sS", "--cacert", c("ca.crt"), "--max-time",
                         "10", "-w", "\n%{http_code}", *args],
                        capture_output=True, text=True, timeout=30)
                r = curl(url)  # no certificate, no token
                self.assertTrue(r.stdout.endswith("401"), r.stdout)
                r = curl(*cert, "-X", "POST", "-H",
                         "Content-Type: application/json",
                         "-d", '{"name": "telemetry"}', url)
                self.assertIn(r.stdout[-3:], ("200", "201"), r.stdout)
                r = curl(*cert, url)
                self.assertIn("telemetry", r.stdout)
                # MQTT over TLS with the certificate as the identity
                sub = subprocess.Popen(
                    ["mosquitto_sub", "-p", str(mqtts), "-h", "localhost",
                     "--cafile", c("ca.crt"), "--cert", c("client.crt"),
                     "--key", c("client.key"), "-t", "t/#", "-C", "1",
                     "-W", "5", "-v"], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)
                time.sleep(0.6)
                r = subprocess.run(
                    ["mosquitto_pub", "-p", str(mqtts), "-h", "localhost",
                     "--cafile", c("ca.crt"), "--cert", c("client.crt"),
                     "--key", c("client.key"), "-t", "t/1", "-m", "hot",
                     "-q", "1"], capture_output=True, text=True, timeout=10)
                self.assertEqual(r.returncode, 0, r.stderr)
                out, err = sub.communicate(timeout=10)
                self.assertEqual(out.strip(), "t/1 hot", err)
                # without a certificate MQTT is refused (auth.required)
                r = subprocess.run(
                    ["mosquitto_pub", "-p", str(mqtts), "-h", "localhost",
                     "--cafile", c("ca.crt"), "-t", "t/1", "-m", "x"],
                    capture_output=True, text=True, timeout=10)
                self.assertNotEqual(r.returncode, 0)
                # PostgreSQL: the CN names the user, no password asked
                env = dict(os.environ, PGCONNECT_TIMEOUT="10")
                env.pop("PGPASSWORD", None)
                dsn = ("host=localhost port=%d user=device-42 dbname=themis "
                       "sslmode=verify-full sslrootcert=%s sslcert=%s "
                       "sslkey=%s" % (srv.pg_port, c("ca.crt"),
                                      c("client.crt"), c("client.key")))
                r = subprocess.run(
                    ["psql", dsn, "-X", "-A", "-t", "-w", "-c",
                     "SELECT table_name FROM information_schema.tables"],
                    capture_output=True, text=True, timeout=30, env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout.split(), ["telemetry"])
                # another user name with the same certificate needs a password
                r = subprocess.run(
                    ["psql", dsn.replace("user=device-42", "user=other"),
                     "-X", "-w", "-c", "SELECT 1"],
                    capture_output=True, text=True, timeout=30, env=env)
                self.assertNotEqual(r.returncode, 0)
            finally:
                srv.stop()
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
