"""Headless Chromium (Debian `chromium`) loads a page from themisd over
HTTP/3 (issue 19): QUIC forced for the origin, the test certificate pinned
by its SPKI hash, the page read through the DevTools protocol
(python3-websocket): performance.getEntriesByType('navigation')[0]
.nextHopProtocol must be "h3". A control run without forced QUIC sees
"h2" (ALPN on TCP), so the check can fail. Chromium is killed after 60 s
at most. Skips, saying why, only when the chromium binary is absent."""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

import websocket  # python3-websocket

from themis_harness import Server, free_port

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def spki_hash(cert_path):
    """base64(SHA-256(SubjectPublicKeyInfo DER)), Chromium's pin format."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-pubkey",
                          "-noout"], capture_output=True, check=True,
                         timeout=30).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"],
                         input=pub, capture_output=True, check=True,
                         timeout=30).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Chromium:
    """One headless Chromium with the DevTools protocol; killed on exit."""

    def __init__(self, *flags, deadline_s=60):
        self.dir = tempfile.mkdtemp(prefix="themis_chromium_")
        self.deadline = time.time() + deadline_s
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-extensions",
             "--user-data-dir=" + self.dir, "--remote-debugging-port=0",
             *flags, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.ws = None
        self.next_id = 0

    def left(self):
        t = self.deadline - time.time()
        if t <= 0:
            raise TimeoutError("chromium ran out of its 60 s")
        return t

    def connect(self):
        url = None
        while url is None:
            self.left()
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("chromium exited: %r" % self.proc.returncode)
            m = re.search(r"DevTools listening on ws://([^/]+)/", line)
            if m:
                url = m.group(1)
        # (stderr keeps being drained so Chromium never blocks on it)
        self.drain = subprocess.Popen(["cat"], stdin=self.proc.stderr,
                                      stdout=subprocess.DEVNULL)
        targets = json.load(urllib.request.urlopen(
            "http://%s/json/list" % url, timeout=self.left()))
        page = [t for t in targets if t["type"] == "page"][0]
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"],
                                              timeout=min(20, self.left()))

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method,
                                 "params": params}))
        while True:
            self.ws.settimeout(self.left())
            m = json.loads(self.ws.recv())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %r" % (method, m["error"]))
                return m["result"]

    def load(self, url):
        """Navigates and waits for the load event; returns the page's
        (nextHopProtocol, body text)."""
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        while True:
            self.ws.settimeout(self.left())
            if json.loads(self.ws.recv()).get("method") == \
                    "Page.loadEventFired":
                break
        r = self.call("Runtime.evaluate", returnByValue=True, expression=(
            "JSON.stringify([performance.getEntriesByType('navigation')[0]"
            ".nextHopProtocol, document.body.innerText])"))
        return json.loads(r["result"]["value"])

    def close(self):
        if self.ws:
            self.ws.close()
        self.proc.kill()
        self.proc.wait(10)
        if getattr(self, "drain", None):
            self.drain.wait(10)
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(CHROMIUM, "chromium is not installed (Debian package "
                     "`chromium`, scripts/packages.txt): the HTTP/3 browser "
                     "test cannot run")
class ChromiumHttp3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_h3c_")
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                        cls.dir], check=True, capture_output=True, timeout=60)
        cls.port = free_port()  # TCP (h2, http/1.1) and UDP (h3) share it
        cls.srv = Server(args=[
            "--tls-cert", os.path.join(cls.dir, "server.crt"),
            "--tls-key", os.path.join(cls.dir, "server.key"),
            "--https-port", str(cls.port), "--mqtts-port", "0"]).start()
        cls.spki = spki_hash(os.path.join(cls.dir, "server.crt"))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def browse(self, *flags):
        c = Chromium("--ignore-certificate-errors-spki-list=" + self.spki,
                     *flags)
        try:
            c.connect()
            return c.load("https://127.0.0.1:%d/health" % self.port)
        finally:
            c.close()

    def quic_total(self):
        _, _, body = self.srv.request("GET", "/metrics")
        if isinstance(body, bytes):
            body = body.decode()
        m = re.search(r"^themis_quic_connections_total (\d+)", body, re.M)
        return int(m.group(1)) if m else 0

    def test_page_over_http3(self):
        proto, body = self.browse(
            "--enable-quic",
            "--origin-to-force-quic-on=127.0.0.1:%d" % self.port)
        self.assertEqual(proto, "h3")
        self.assertEqual(json.loads(body)["status"], "healthy")
        # and themisd accepted a QUIC connection
        self.assertGreaterEqual(self.quic_total(), 1)

    def test_control_without_forced_quic_is_h2(self):
        # the same page over TCP: ALPN picks h2 (the first load does not
        # use Alt-Svc yet), so "h3" above is not a constant
        proto, _ = self.browse("--disable-quic")
        self.assertEqual(proto, "h2")


if __name__ == "__main__":
    unittest.main()
