"""The web console at /console (issue 29, docs/console.md): headers
(CSP, nosniff, immutable hashed assets, no-cache index, compression,
ETag), no path traversal, the redirect, a console that is not built, and
the console itself driven in Debian's headless chromium by puppeteer-core
(console/test/console_e2e.mjs): sign-in, collections, a conflicting
save, AQL, jobs with progress and cancel, the live tail, charts, narrow
and dark, a read-only key refused, no console errors or CSP violations;
also behind a reverse proxy that puts the server under /db/. Screenshots
go to a temporary directory whose path is printed. Every wait is bounded."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server, THEMISD  # noqa: E402
from console_util import (PrefixProxy, ask, console_data_dir,  # noqa: E402
                          run_driver, stop_and_clean)

DRIVER = "console_e2e.mjs"


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir, data, cls.admin, cls.shots = console_data_dir(
            "themis_console_")
        cls.server = Server(data_dir=data,
                            env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        st, _, body = cls.server.json(
            "POST", "/api/keys", {"name": "reader", "scopes": ["data:read"]},
            {"Authorization": "Bearer " + cls.admin})
        if st != 201:
            raise RuntimeError("read-only key: %s %s" % (st, body))
        cls.reader = body["secret"]

    @classmethod
    def tearDownClass(cls):
        stop_and_clean(cls.server, cls.dir)

    def get(self, path, headers=None, method="GET"):
        return ask(self.server.port, method, path, headers)

    def asset_paths(self):
        _, _, body = self.get("/console/")
        html = body.decode()
        out = []
        for attr in ('src="./', 'href="./'):
            i = 0
            while (i := html.find(attr, i)) >= 0:
                i += len(attr)
                out.append("/console/" + html[i:html.index('"', i)])
        return out

    def test_index_headers(self):
        st, h, body = self.get("/console/")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")
        csp = h["content-security-policy"]
        for d in ("default-src 'none'", "script-src 'self'",
                  "style-src 'self'", "connect-src 'self'",
                  "frame-ancestors 'none'", "base-uri 'none'"):
            self.assertIn(d, csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("unsafe-eval", csp)
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertEqual(h["cache-control"], "no-cache")
        self.assertIn(b'<div id="app">', body)
        # no inline script: every <script> has a src
        self.assertEqual(body.count(b"<script"),
                         body.count(b'<script type="module" crossorigin src='))
        # revalidation
        st, h2, body2 = self.get("/console/",
                                 {"If-None-Match": h["etag"]})
        self.assertEqual(st, 304)
        self.assertEqual(body2, b"")
        # HEAD: the headers, no body
        st, h3, body3 = self.get("/console/", method="HEAD")
        self.assertEqual((st, body3), (200, b""))
        self.assertEqual(h3["etag"], h["etag"])

    def test_assets_immutable_and_compressed(self):
        assets = self.asset_paths()
        self.assertTrue(any(a.endswith(".js") for a in assets), assets)
        self.assertTrue(any(a.endswith(".css") for a in assets), assets)
        for a in assets:
            self.assertRegex(a, r"^/console/assets/[\w-]+-[\w-]{8}\.(js|css)$")
            st, h, plain = self.get(a)
            self.assertEqual(st, 200, a)
            self.assertEqual(h["cache-control"],
                             "public, max-age=31536000, immutable")
            self.assertIn("content-security-policy", h)
            self.assertEqual(h["x-content-type-options"], "nosniff")
            self.assertRegex(h["content-type"], r"^text/(javascript|css)")
            st, h, packed = self.get(a, {"Accept-Encoding": "gzip"})
            self.assertEqual(h.get("content-encoding"), "gzip", a)
            self.assertIn("Accept-Encoding", h["vary"])
            self.assertEqual(gzip.decompress(packed), plain)
            self.assertLess(len(packed), len(plain) / 2)

    def test_redirect_to_the_slash(self):
        st, h, _ = self.get("/console")
        self.assertEqual(st, 301)
        # relative: keeps whatever prefix a gateway put in front
        self.assertEqual(h["location"], "console/")

    def test_no_path_traversal(self):
        secret = b"thk_"  # the log and auth.db hold key material
        for p in ["/console/../themisd.log", "/console/..%2fthemisd.log",
                  "/console/%2e%2e/%2e%2e/etc/passwd",
                  "/console/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
                  "/console/assets/..%2f..%2findex.html",
                  "/console/assets%2f..%2f..%2fthemisd",
                  "/console/..%5c..%5cthemisd", "/console/.%2e/auth.db",
                  "/console/%252e%252e/%252e%252e/etc/passwd",
                  "/console/./index.html", "/console//index.html",
                  "/console/.vite/manifest.json",
                  "/console/assets", "/console/nope.js",
                  "/console/" + "a/" * 200 + "x.js"]:
            st, h, body = self.get(p)
            self.assertIn(st, (400, 404), p)
            self.assertNotIn(secret, body, p)
            self.assertNotIn(b"root:", body, p)
            self.assertEqual(json.loads(body)["status_code"], st, p)
            self.assertIn("content-security-policy", h, p)
        # a NUL never reaches the handler: the request parser refuses it
        st, _, body = self.get("/console/assets/%00.js")
        self.assertEqual(st, 400)
        self.assertNotIn(secret, body)
        # an encoded slash between real names still finds only the file
        asset = self.asset_paths()[0]
        st, _, _ = self.get(asset.replace("/assets/", "/assets%2f"))
        self.assertEqual(st, 200)

    def test_not_under_api_v1(self):
        st, _, _ = self.get("/api/v1/console/",
                            {"Authorization": "Bearer " + self.admin})
        self.assertEqual(st, 404)

    def browser(self, url, only="", **extra):
        run_driver(self, DRIVER, self.shots, THEMIS_URL=url,
                   ADMIN_KEY=self.admin, RO_KEY=self.reader, ONLY=only,
                   **extra)

    def test_in_a_browser(self):
        # a live psql session for the PostgreSQL page to list and terminate
        env = dict(os.environ, PGPASSWORD=self.admin, PGAPPNAME="console_psql",
                   PGCONNECT_TIMEOUT="10")
        psql = subprocess.Popen(
            ["psql", "host=127.0.0.1 port=%d user=admin dbname=themis" %
             self.server.pg_port, "-X", "-q"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        # an MQTT client for the MQTT page to list; it also hears what the
        # page's playground publishes over WebSocket
        sub = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p",
             str(self.server.mqtt_port), "-i", "console_sub", "-u", "admin",
             "-P", self.admin, "-t", "console/#", "-v"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            psql.stdin.write("\\set VERBOSITY verbose\nSELECT 1;\n")
            psql.stdin.flush()
            self.browser("http://127.0.0.1:%d/console/" % self.server.port,
                         PG_APP="console_psql", MQTT_SUB="console_sub")
            # terminated from the page: psql's next statement finds it gone
            _, err = psql.communicate("SELECT 2;\n", timeout=20)
            self.assertIn("57P01: terminating connection due to "
                          "administrator command", err)
            sub.terminate()
            out, _ = sub.communicate(timeout=10)
            self.assertIn("console/test hello-from-the-browser", out)
        finally:
            for p in (psql, sub):
                if p.poll() is None:
                    p.kill()
                    p.wait()

    def test_in_a_browser_behind_a_prefix(self):
        proxy = PrefixProxy(self.server.port)
        try:
            base = "http://127.0.0.1:%d/db" % proxy.port
            st, h, _ = ask(proxy.port, "GET", "/db/console")
            self.assertEqual((st, h["location"]), (301, "console/"))
            self.browser(base + "/console/", only="proxy")
        finally:
            proxy.close()


class NotBuiltTest(unittest.TestCase):
    def test_missing_directory_is_a_clear_404(self):
        missing = tempfile.mkdtemp(prefix="themis_noconsole_")
        srv = Server(env={"THEMIS_CONSOLE_DIR": missing}).start()
        try:
            st, h, body = srv.json("GET", "/console/")
            self.assertEqual(st, 404)
            self.assertIn("not built", body["message"])
            self.assertIn(missing, body["message"])
            self.assertEqual(h["cache-control"], "no-store")
            # built later: found without a restart
            with open(os.path.join(missing, "index.html"), "w") as f:
                f.write("<!DOCTYPE html><title>t</title>")
            st, _, _ = srv.request("GET", "/console/")
            self.assertEqual(st, 200)
        finally:
            srv.stop()
            srv.cleanup()
            shutil.rmtree(missing, ignore_errors=True)

    def test_console_dir_key(self):
        # console.dir in a configuration file (THEMIS_CONSOLE_DIR above is
        # the same key's environment variable)
        d = tempfile.mkdtemp(prefix="themis_consoledir_")
        try:
            with open(os.path.join(d, "index.html"), "w") as f:
                f.write("<!DOCTYPE html><title>from console.dir</title>")
            conf = os.path.join(d, "themisd.yaml")
            with open(conf, "w") as f:
                f.write("console:\n  dir: %s\n" % d)
            srv = Server(args=("--config", conf)).start()
            try:
                st, _, body = srv.request("GET", "/console/")
                self.assertEqual(st, 200)
                self.assertIn(b"from console.dir", body)
            finally:
                srv.stop()
                srv.cleanup()
            # an empty value is refused when the configuration is read
            p = subprocess.run([THEMISD, "--set", "console.dir=",
                                "--check-config"],
                capture_output=True, text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("console.dir", p.stderr + p.stdout)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
