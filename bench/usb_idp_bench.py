#!/usr/bin/env python3
"""What USB admin logins and external-IdP tokens cost themisd (issue 24).
One server with auth.usb_admin and a trusted issuer (the Python HTTPS IdP
of tests/integration/test_trusted_issuer.py) and an HS256 secret as the
baseline. Measures, on one keep-alive connection:

- a USB admin login: challenge + Ed25519 signature (client side) + login;
- GET /api/v1/whoami with the USB admin token, an IdP RS256 token and an
  HS256 JWT: latency and server CPU per request (/proc/PID/stat);
- the first request with a rotated IdP key (the unknown-kid refetch).

  python3 bench/usb_idp_bench.py [--n 500]"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
from bench_util import cpu_seconds  # noqa: E402
from themis_harness import Server, THEMISD  # noqa: E402
from test_trusted_issuer import Idp, Key, make_ca_and_cert  # noqa: E402
from test_usb_admin import fingerprint, make_key, sign  # noqa: E402
import subprocess  # noqa: E402

SECRET = "usb/idp bench secret, long enough for HS256"


def hs256():
    def b64(d):
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "bob", "scope": "data:read",
                           "exp": int(time.time()) + 3600}).encode())
    sig = hmac.new(SECRET.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


def call(c, method, path, body=None, headers=None):
    h = dict(headers or {})
    if body is not None:
        body = json.dumps(body)
        h["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    return r.status, data


def summary(name, lat, cpu=None):
    lat = sorted(lat)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    line = "%-28s n=%d p50 %.2f ms  p99 %.2f ms" % (name, len(lat), p(0.5),
                                                    p(0.99))
    if cpu is not None:
        line += "  server CPU %.3f ms/req" % (cpu * 1e3 / len(lat))
    print(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="themis_usb_bench_")
    certs = make_ca_and_cert(tmp)
    idp = Idp(certs)
    k1 = Key("k1", "RS256")
    idp.keys = [k1]
    priv, pub = make_key(tmp, "ops", "ed25519")
    key_id = fingerprint(pub)
    entry = "%s aud=bench ca_file=%s" % (idp.issuer, certs["ca.pem"])
    srv = Server(args=[
        "--set", "auth.required=true", "--set", "auth.jwt_secret=" + SECRET,
        "--set", "auth.usb_admin.enabled=true",
        "--set", "auth.usb_admin.challenges_per_min=600",
        "--set", "auth.trusted_issuers=" + entry,
        "--set", "auth.trusted_issuers_min_refetch_s=1"])
    subprocess.run([THEMISD, "admin", "enroll-usb-key", "--key", pub,
                    "--data-dir", srv.data_dir], check=True,
                   capture_output=True)
    srv.start()
    try:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        # USB logins (the signature is made by the client: included)
        lat, token = [], None
        for _ in range(min(args.n, 200)):
            t = time.perf_counter()
            st, b = call(c, "POST", "/api/v1/auth/usb/challenge",
                         {"key_id": key_id})
            nonce = json.loads(b)["nonce"]
            st, b = call(c, "POST", "/api/v1/auth/usb/login",
                         {"key_id": key_id, "nonce": nonce,
                          "signature": sign(priv, nonce)})
            lat.append((time.perf_counter() - t) * 1e3)
            assert st == 200, b
            token = json.loads(b)["access_token"]
        summary("usb login (2 requests)", lat)
        now = int(time.time())
        idp_token = k1.sign({"iss": idp.issuer, "aud": "bench", "sub": "carol",
                             "scope": "data:read", "iat": now,
                             "exp": now + 3600})
        for name, tok in (("whoami hs256 jwt", hs256()),
                          ("whoami usb admin token", token),
                          ("whoami idp rs256 token", idp_token)):
            h = {"Authorization": "Bearer " + tok}
            for _ in range(50):  # warm-up
                call(c, "GET", "/api/v1/whoami", headers=h)
            lat = []
            cpu0 = cpu_seconds(srv.proc.pid)
            for _ in range(args.n):
                t = time.perf_counter()
                st, b = call(c, "GET", "/api/v1/whoami", headers=h)
                lat.append((time.perf_counter() - t) * 1e3)
                assert st == 200, b
            summary(name, lat, cpu_seconds(srv.proc.pid) - cpu0)
        # rotation: the first token of a new key waits for the refetch
        k2 = Key("k2", "ES256")
        idp.keys = [k1, k2]
        time.sleep(1.1)
        t = time.perf_counter()
        st, b = call(c, "GET", "/api/v1/whoami", headers={
            "Authorization": "Bearer " + k2.sign({
                "iss": idp.issuer, "aud": "bench", "sub": "carol",
                "iat": now, "exp": now + 3600})})
        print("first request after rotation: %.1f ms (HTTP %d, refetch over "
              "HTTPS included)" % ((time.perf_counter() - t) * 1e3, st))
        t = time.perf_counter()
        r = subprocess.run([os.path.join(os.path.dirname(THEMISD), "themisctl"),
                            "--url", "http://127.0.0.1:%d" % srv.port, "admin",
                            "login", "--key", priv], capture_output=True)
        print("themisctl admin login (process): %.1f ms (exit %d)" %
              ((time.perf_counter() - t) * 1e3, r.returncode))
    finally:
        srv.cleanup()
        idp.close()


if __name__ == "__main__":
    main()
