#!/usr/bin/env python3
"""OAuth2 provider timings (issue 24, not a test): a real themisd on free
ports, one client over keep-alive HTTP/1.1 — client_credentials tokens,
refresh rotations, introspections, and whole code + PKCE sign-ins (form,
POST with a PBKDF2 password check, token exchange). Prints requests/s and
mean latency of each. Usage: bench/oauth2_bench.py [N]"""

import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from themis_harness import Server  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
CB = "http://127.0.0.1:9/cb"
# a PBKDF2 user as in production (100000 iterations)
salt = secrets.token_hex(8)
dk = hashlib.pbkdf2_hmac("sha256", b"wonderland", salt.encode(), 100000)
PW = "pbkdf2_sha256$100000$%s$%s" % (salt, base64.b64encode(dk).decode())
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def main():
    srv = Server(args=[
        "--set", "oauth2.enabled=true",
        "--set", "oauth2.clients=web secret=s1 redirect_uri=%s scope=openid "
                 "scope=data:read" % CB,
        "--set", "oauth2.users=alice:" + PW,
        "--set", "auth.principals=alice tenant=acme scope=data:read"]).start()
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)

    def req(method, path, body=None, headers=None):
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r, r.read()

    def timed(name, fn, n):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        print("%-28s %6d  %8.0f/s  %7.2f ms" % (name, n, n / dt, dt / n * 1e3))

    cc = urllib.parse.urlencode({"grant_type": "client_credentials",
                                 "client_id": "web", "client_secret": "s1",
                                 "scope": "data:read"})

    def client_credentials():
        st, _, b = req("POST", "/api/v1/auth/token", cc, FORM)
        assert st == 200, b
        return b

    def sign_in():
        v = secrets.token_urlsafe(48)
        ch = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest())
        q = urllib.parse.urlencode({
            "response_type": "code", "client_id": "web", "redirect_uri": CB,
            "scope": "openid data:read", "state": "s", "nonce": "n",
            "code_challenge": ch.decode().rstrip("="),
            "code_challenge_method": "S256"})
        st, r, html = req("GET", "/api/v1/auth/authorize?" + q)
        html = html.decode()
        cookie = r.getheader("Set-Cookie").split(";")[0]
        f = {k: re.search(r'name=%s value="([^"]*)"' % k, html).group(1)
             for k in ("request_id", "csrf_token")}
        f.update(username="alice", password="wonderland", action="allow")
        st, r, _ = req("POST", "/api/v1/auth/authorize",
                       urllib.parse.urlencode(f), dict(FORM, Cookie=cookie))
        assert st == 302
        code = urllib.parse.parse_qs(
            urllib.parse.urlparse(r.getheader("Location")).query)["code"][0]
        st, _, b = req("POST", "/api/v1/auth/token", urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": CB, "code_verifier": v, "client_id": "web",
            "client_secret": "s1"}), FORM)
        assert st == 200, b
        return b

    rt = [json.loads(sign_in())["refresh_token"]]

    def refresh():
        st, _, b = req("POST", "/api/v1/auth/token", urllib.parse.urlencode({
            "grant_type": "refresh_token", "refresh_token": rt[0],
            "client_id": "web", "client_secret": "s1"}), FORM)
        assert st == 200, b
        rt[0] = json.loads(b)["refresh_token"]

    at = json.loads(client_credentials())["access_token"]
    intro = urllib.parse.urlencode({"token": at, "client_id": "web",
                                    "client_secret": "s1"})

    def introspect():
        st, _, b = req("POST", "/api/v1/auth/token/introspect", intro, FORM)
        assert st == 200 and b'"active":true' in b, b

    def whoami():
        st, _, _ = req("GET", "/api/v1/whoami",
                       headers={"Authorization": "Bearer " + at})
        assert st == 200

    try:
        timed("client_credentials token", client_credentials, N)
        timed("refresh rotation", refresh, N)
        timed("introspection", introspect, N)
        timed("REST with its access token", whoami, N)
        timed("code+PKCE sign-in (3 req)", sign_in, max(N // 10, 5))
    finally:
        c.close()
        srv.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
