#!/usr/bin/env python3
"""What a SAML sign-in costs themisd (issue 24): GET …/saml/login (Lasso
builds and RSA-signs the AuthnRequest) and POST …/saml/acs (size/DTD
guard, Lasso parses and verifies the RSA-SHA256 assertion signature,
the checks, the replay cache, minting the access token: one RSA
signature and an auth.db family row). The test IdP
(tests/integration/saml_test_idp.py) signs N responses with the xmlsec1
CLI before the clock starts; each then goes once to the ACS on one
keep-alive connection, sequentially. Server CPU per request from
/proc/PID/stat.

  python3 bench/saml_bench.py [--logins 200]"""

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
from bench_util import cpu_seconds  # noqa: E402
import saml_test_idp as idp_mod  # noqa: E402
from themis_harness import Server  # noqa: E402

BASE = "https://db.test"
SP = BASE + "/api/v1/auth/saml/metadata"
ACS = BASE + "/api/v1/auth/saml/acs"
ATTRS = {"uid": "alice", "tenant": "acme", "email": "a@acme.test",
         "groups": ["db-users"]}


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logins", type=int, default=200)
    n = ap.parse_args().logins
    d = tempfile.mkdtemp(prefix="themis_saml_bench_")
    idp = idp_mod.Idp(d, "https://idp.test/metadata", SP, ACS)
    key, crt = idp_mod.make_key(d, "sp")
    srv = Server(args=[
        "--set", "oauth2.enabled=true", "--set", "saml.enabled=true",
        "--set", "saml.base_url=" + BASE,
        "--set", "saml.idp_metadata_file=" + idp.metadata_file(
            "https://idp.test/slo"),
        "--set", "saml.sp_key_file=" + key,
        "--set", "saml.sp_cert_file=" + crt,
        "--set", "saml.user_attribute=uid",
        "--set", "saml.tenant_attribute=tenant",
        "--set", "saml.scope_attribute=groups",
        "--set", "saml.scope_map=db-users=data:read query"]).start()
    try:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        pid = srv.proc.pid
        login_ms, pending = [], []
        cpu0 = cpu_seconds(pid)
        for _ in range(n):
            t = time.perf_counter()
            c.request("GET", "/api/v1/auth/saml/login")
            r = c.getresponse()
            r.read()
            login_ms.append((time.perf_counter() - t) * 1000)
            req, q = idp_mod.parse_redirect(r.getheader("Location"))
            pending.append((req.get("ID"), q["RelayState"]))
        login_cpu = (cpu_seconds(pid) - cpu0) / n * 1000
        t = time.perf_counter()
        bodies = []
        for rid, relay in pending:
            _, a = idp.assertion("alice", ATTRS, rid)
            xml = idp.sign(idp.response(rid, a))
            bodies.append(urllib.parse.urlencode(
                {"SAMLResponse": idp_mod.b64(xml), "RelayState": relay}))
        sign_s = time.perf_counter() - t
        acs_ms = []
        cpu0 = cpu_seconds(pid)
        for body in bodies:
            t = time.perf_counter()
            c.request("POST", "/api/v1/auth/saml/acs", body,
                      {"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            r.read()
            acs_ms.append((time.perf_counter() - t) * 1000)
            assert r.status == 200, r.status
        acs_cpu = (cpu_seconds(pid) - cpu0) / n * 1000
        size = statistics.mean(len(b) for b in bodies)
        print("saml login redirect: n=%d median %.2f ms p99 %.2f ms, "
              "server CPU %.2f ms/request" % (n, statistics.median(login_ms),
                                              pct(login_ms, 0.99), login_cpu))
        print("saml ACS (verify + mint): n=%d median %.2f ms p99 %.2f ms, "
              "server CPU %.2f ms/request, form body %.0f bytes" %
              (n, statistics.median(acs_ms), pct(acs_ms, 0.99), acs_cpu,
               size))
        print("(test IdP: xmlsec1 CLI signed %d responses in %.1f s)" %
              (n, sign_s))
    finally:
        srv.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
