"""The web console's password sign-in through themisd's own OpenID
Connect provider (issue 29, docs/console.md) and its WebSocket message-rate
chart: the built-in public client `themis-console` (its redirect URI is
the console page under the server's own origin, any path prefix, nothing
else), the WebSocket message counters on /metrics, and the console in
Debian's headless chromium (console/test/console_oidc_e2e.mjs): a wrong
password stays on the provider's form, a password user signs in and sees
user @ tenant, runs a query, signs out (end_session: the old token is
refused); a global admin sees the WebSocket chart move while a changefeed
WebSocket talks; the token is refreshed before it expires. Also behind a
reverse proxy that puts the server under /db/. Every wait is bounded."""

import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server  # noqa: E402
from ws_raw import Frames, handshake, masked  # noqa: E402
from console_util import (CONSOLE_SRC, PrefixProxy,  # noqa: E402
                          console_data_dir, run_driver, stop_and_clean)

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
TTL = 12  # access tokens: short, so the browser test sees a refresh


class WsTalker:
    """A changefeed WebSocket that sends a message every 100 ms and reads
    the answers (each an error frame for an unknown action): traffic for
    the console's WebSocket chart."""

    def __init__(self, port, key):
        self.s, status, _, rest = handshake(
            port, "/v1/changes/ws", extra="Authorization: Bearer %s\r\n" % key)
        if " 101 " not in status + " ":
            raise RuntimeError("changefeed WebSocket refused: " + status)
        self.frames = Frames(self.s, rest)
        self.stop = threading.Event()
        self.sent = self.answered = 0
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        try:
            while not self.stop.wait(0.1):
                self.s.sendall(masked(1, b'{"action":"chart"}'))
                self.sent += 1
                while True:
                    f = self.frames.next(timeout=5)
                    if f is None:
                        return
                    if f[0] == 1:
                        self.answered += 1
                        break
        except OSError:
            pass

    def close(self):
        self.stop.set()
        self.t.join(10)
        self.s.close()


def metric(text, name, labels):
    m = re.search(r"^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(labels)),
                  text, re.M)
    return int(m.group(1)) if m else None


class ConsoleOidcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir, data, cls.admin, cls.shots = console_data_dir(
            "themis_console_oidc_")
        # alice: a tenant's user with data scopes; ops: named by no
        # principal entry, so a global admin (as for MQTT)
        cls.server = Server(data_dir=data, env={
            "THEMIS_AUTH_REQUIRED": "true"}, args=[
            "--set", "oauth2.enabled=true",
            "--set", "oauth2.users=alice:wonderland,ops:ops-secret-1",
            "--set", "oauth2.access_token_ttl_s=%d" % TTL,
            "--set", "auth.principals=alice tenant=acme scope=data:read "
                     "scope=data:write scope=query"]).start()

    @classmethod
    def tearDownClass(cls):
        stop_and_clean(cls.server, cls.dir)

    def authorize(self, redirect, host=None, pkce=True):
        q = {"response_type": "code", "client_id": "themis-console",
             "redirect_uri": redirect, "state": "s1", "scope": "openid"}
        if pkce:
            q.update(code_challenge=CHALLENGE, code_challenge_method="S256")
        h = {"Host": host} if host else {}
        return self.server.request(
            "GET", "/api/v1/auth/authorize?" + urllib.parse.urlencode(q),
            headers=h)

    def test_console_redirects_only_to_its_own_origin(self):
        origin = "http://127.0.0.1:%d" % self.server.port
        for ok in ("/console/", "/db/console/", "/a/b.c/~x/console/"):
            st, _, body = self.authorize(origin + ok)
            self.assertEqual(st, 200, ok)
            self.assertIn(b"themisd console", body)
        # the origin is the one the browser used (its Host)
        st, _, _ = self.authorize("http://db.example:8080/console/",
                                  host="db.example:8080")
        self.assertEqual(st, 200)
        bad = ["http://evil.example/console/",
               "http://127.0.0.1:%d0/console/" % self.server.port,
               "http://127.0.0.1:%d@evil.example/console/" %
               self.server.port,
               "https://127.0.0.1:%d/console/" % self.server.port,
               origin + "/console", origin + "/console/x",
               origin + "/../console/", origin + "/.x/console/",
               origin + "//console/", origin + "/a%2f/console/",
               origin + "/console/?next=http://evil.example/",
               origin + "/console/#x"]
        for b in bad:
            st, h, body = self.authorize(b)
            # RFC 6749 §4.1.2.1: an untrusted redirect URI gets a page,
            # never a redirect
            self.assertEqual(st, 400, b)
            self.assertNotIn("location", h, b)
            self.assertIn(b"not registered", body, b)
        # a public client: PKCE is required
        st, h, _ = self.authorize(origin + "/console/", pkce=False)
        self.assertEqual(st, 302)
        self.assertIn("error=invalid_request", h["location"])
        # the admin API cannot delete or shadow the built-in client
        auth = {"Authorization": "Bearer " + self.admin}
        st, _, body = self.server.json(
            "DELETE", "/api/v1/auth/clients/themis-console", headers=auth)
        self.assertEqual(st, 409, body)
        st, _, body = self.server.json(
            "POST", "/api/v1/auth/clients",
            {"client_id": "themis-console", "public": True,
             "redirect_uris": ["http://evil.example/cb"]}, headers=auth)
        self.assertEqual(st, 409, body)
        st, _, body = self.server.json("GET", "/api/v1/auth/clients",
                                       headers=auth)
        c = [x for x in body["clients"] if x["client_id"] == "themis-console"]
        self.assertEqual(len(c), 1)
        self.assertTrue(c[0]["public"] and c[0]["console"])

    def test_logout_returns_only_to_the_console(self):
        origin = "http://127.0.0.1:%d" % self.server.port
        for uri, want in ((origin + "/db/console/", 302),
                          ("http://evil.example/console/", 400)):
            q = urllib.parse.urlencode({"client_id": "themis-console",
                                        "post_logout_redirect_uri": uri})
            st, h, _ = self.server.request("GET", "/api/v1/auth/logout?" + q)
            self.assertEqual(st, want, uri)
            if want == 302:
                self.assertEqual(h["location"], uri)

    def test_console_client_can_be_turned_off(self):
        srv = Server(args=["--set", "oauth2.enabled=true",
                           "--set", "oauth2.users=alice:wonderland",
                           "--set", "oauth2.console_client=false"]).start()
        try:
            q = urllib.parse.urlencode({
                "response_type": "code", "client_id": "themis-console",
                "redirect_uri": "http://127.0.0.1:%d/console/" % srv.port,
                "code_challenge": CHALLENGE,
                "code_challenge_method": "S256"})
            st, _, body = srv.request("GET", "/api/v1/auth/authorize?" + q)
            self.assertEqual(st, 400)
            self.assertIn(b"Unknown or missing client_id", body)
        finally:
            srv.stop()
            srv.cleanup()

    def scrape(self):
        st, _, body = self.server.request(
            "GET", "/metrics", headers={"Authorization": "Bearer " + self.admin})
        self.assertEqual(st, 200)
        return body.decode()

    def test_websocket_message_counters(self):
        scrape = self.scrape
        before = scrape()
        names = ("themis_websocket_messages_received_total",
                 "themis_websocket_messages_sent_total")
        for n in names:
            for ep in ("changefeed", "graphql", "mqtt", "pg"):
                self.assertIsNotNone(metric(before, n, 'endpoint="%s"' % ep),
                                     (n, ep))
        s, status, _, rest = handshake(
            self.server.port, "/v1/changes/ws",
            extra="Authorization: Bearer %s\r\n" % self.admin)
        self.assertIn(" 101 ", status + " ")
        frames = Frames(s, rest)
        try:
            got = 0
            for _ in range(5):
                s.sendall(masked(1, b'{"action":"nope"}'))
                s.sendall(masked(9, b"ping"))  # control frames do not count
                while True:
                    f = frames.next()
                    self.assertIsNotNone(f)
                    if f[0] == 1:
                        self.assertIn(b"unknown action", f[3])
                        got += 1
                        break
            self.assertEqual(got, 5)
        finally:
            s.close()
        after = scrape()
        lab = 'endpoint="changefeed"'
        # the server may have sent a welcome too: at least one per answer
        self.assertEqual(metric(after, names[0], lab) -
                         metric(before, names[0], lab), 5)
        self.assertGreaterEqual(metric(after, names[1], lab) -
                                metric(before, names[1], lab), 5)

    def test_sha256_fallback(self):
        p = subprocess.run(["node", "test/sha256_test.mjs"], cwd=CONSOLE_SRC,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def browser(self, url, **extra):
        out = run_driver(self, "console_oidc_e2e.mjs", self.shots,
                         THEMIS_URL=url, OIDC_TTL=str(TTL), **extra)
        print(out, file=sys.stderr)

    def test_in_a_browser(self):
        before = self.scrape()
        talker = WsTalker(self.server.port, self.admin)
        try:
            self.browser("http://127.0.0.1:%d/console/" % self.server.port)
            self.assertGreater(talker.answered, 10)
        finally:
            talker.close()
        # the page's MQTT playground (MQTT over WebSocket) was counted as
        # mqtt: CONNECT, SUBSCRIBE, PUBLISH … in; CONNACK, SUBACK … out
        after = self.scrape()
        for n in ("themis_websocket_messages_received_total",
                  "themis_websocket_messages_sent_total"):
            grew = (metric(after, n, 'endpoint="mqtt"') -
                    metric(before, n, 'endpoint="mqtt"'))
            self.assertGreaterEqual(grew, 3, n)
        # the sign-ins and the refused password are in the audit log
        st, _, body = self.server.json(
            "GET", "/api/v1/audit?action=oauth2.login",
            headers={"Authorization": "Bearer " + self.admin})
        self.assertEqual(st, 200, body)
        seen = json.dumps(body)
        self.assertIn("themis-console", seen)
        self.assertIn("denied", seen)

    def test_in_a_browser_behind_a_prefix(self):
        proxy = PrefixProxy(self.server.port, keep_host=True)
        try:
            self.browser("http://127.0.0.1:%d/db/console/" % proxy.port,
                         ONLY="proxy")
        finally:
            proxy.close()


if __name__ == "__main__":
    unittest.main()
