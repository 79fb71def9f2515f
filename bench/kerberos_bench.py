#!/usr/bin/env python3
"""What a Kerberos sign-in costs themisd on HTTP (issue 24): the auth gate
calls gss_accept_sec_context inline on the request's thread (keytab read,
replay-cache write: local files), so this measures how long that holds
the thread. A real MIT KDC (tests/integration/mit_kdc.py) issues the
tickets; curl --negotiate against a capturing server collects N fresh
SPNEGO tokens; each then goes once to GET /api/v1/whoami on one
keep-alive connection, and the same number of requests with a bearer JWT
are the baseline. Server CPU per request from /proc/PID/stat.

  python3 bench/kerberos_bench.py [--tokens 300]"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import mit_kdc  # noqa: E402
from themis_harness import Server  # noqa: E402

SECRET = "kerberos bench secret, long enough for HS256"


def jwt():
    def b64(d):
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "alice", "scope": "data:read",
                           "exp": int(time.time()) + 3600}).encode())
    sig = hmac.new(SECRET.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def run(srv, headers_list):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    lat = []
    cpu0 = cpu_s(srv.proc.pid)
    for h in headers_list:
        t = time.perf_counter()
        c.request("GET", "/api/v1/whoami", headers=h)
        r = c.getresponse()
        body = r.read()
        lat.append((time.perf_counter() - t) * 1e3)
        assert r.status == 200, (r.status, body)
    cpu = cpu_s(srv.proc.pid) - cpu0
    c.close()
    lat.sort()
    return (statistics.median(lat), lat[int(len(lat) * 0.99) - 1],
            cpu / len(headers_list) * 1e3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=300)
    a = ap.parse_args()
    # tokens are collected first and sent later: MIT's default skew
    kdc = mit_kdc.MitKdc(clockskew=300).start()
    srv = None
    try:
        keytab = os.path.join(kdc.dir, "server.keytab")
        kdc.add_service("HTTP/localhost", keytab)
        kt = kdc.add_user("alice")
        cc = os.path.join(kdc.dir, "cc")
        kdc.kinit("alice", kt, cc)
        tokens = mit_kdc.capture_tokens(kdc.client_env(cc), a.tokens)
        srv = Server(args=[
            "--set", "auth.required=true", "--set", "auth.jwt_secret=" +
            SECRET, "--set", "auth.kerberos.keytab=" + keytab,
            "--set", "auth.kerberos.realms=THEMIS.TEST scope=data:read"],
            env={"KRB5_CONFIG": kdc.krb5_conf, "KRB5RCACHEDIR": kdc.dir})
        srv.start()
        tok = jwt()
        run(srv, [{"Authorization": "Bearer " + tok}] * 50)  # warm up
        base = run(srv, [{"Authorization": "Bearer " + tok}] * a.tokens)
        krb = run(srv, [{"Authorization": "Negotiate " + t}
                        for t in tokens])
        print("| credential | requests | p50 ms | p99 ms | server CPU ms/req |")
        print("|---|---|---|---|---|")
        print("| bearer JWT (HS256) | %d | %.3f | %.3f | %.3f |" %
              ((a.tokens,) + base))
        print("| Negotiate (Kerberos AP-REQ, fresh each) | %d | %.3f | %.3f "
              "| %.3f |" % ((len(tokens),) + krb))
    finally:
        if srv:
            srv.cleanup()
        kdc.stop()


if __name__ == "__main__":
    main()
