#!/usr/bin/env python3
"""What authentication costs on HTTP: themisd open, with a bearer JWT
(HS256), with an API key, and as a tenant (JWT with a tenant claim, so
names are mapped), on the same document read. wrk keeps connections
alive; server CPU time per request comes from /proc/PID/stat before and
after each run (the steadier figure on a shared machine).

  python3 bench/auth_bench.py [--duration 5] [--clients 16]

Prints a Markdown table with ratios to the open server."""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_bench import ROOT, cpu_seconds, free_port, wait_http  # noqa

SECRET = "bench secret, long enough for HS256"


def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def jwt(claims):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(dict(claims, exp=int(time.time()) + 3600)).encode())
    sig = hmac.new(SECRET.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


def call(port, method, path, headers, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method, headers=headers,
                                 data=json.dumps(body).encode() if body
                                 else None)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def wrk(port, path, header, args):
    cmd = ["wrk", "-t1", "-c", str(args.clients), "-d", "%ds" % args.duration]
    if header:
        cmd += ["-H", header]
    out = subprocess.run(cmd + ["http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, text=True,
                         timeout=args.duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, done, int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--clients", type=int, default=16)
    args = ap.parse_args()
    themisd = os.path.join(ROOT, "build", "themisd")
    rows = []
    for mode in ("open", "required"):
        data = tempfile.mkdtemp(prefix="themis_authbench_")
        port = free_port()
        cmd = [themisd, "--http-port", str(port), "--pg-port", "0",
               "--mqtt-port", "0", "--data-dir", data, "--log-level", "warn",
               "--set", "auth.jwt_secret=" + SECRET,
               "--set", "rate_limiting.enabled=false"]
        env = dict(os.environ, THEMIS_AUTH_REQUIRED=str(mode == "required")
                   .lower())
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            wait_http("http://127.0.0.1:%d/health" % port)
            admin = {"Authorization": "Bearer " + jwt({"sub": "root",
                                                       "scope": "admin"})}
            tenant = jwt({"sub": "t", "tenant": "acme", "scope": "data:read "
                          "data:write"})
            call(port, "POST", "/v1/collections", admin, {"name": "b"})
            call(port, "PUT", "/v1/collections/b/documents/k", admin, {"v": 1})
            call(port, "POST", "/v1/collections",
                 {"Authorization": "Bearer " + tenant}, {"name": "b"})
            call(port, "PUT", "/v1/collections/b/documents/k",
                 {"Authorization": "Bearer " + tenant}, {"v": 1})
            key = call(port, "POST", "/api/keys", admin,
                       {"scopes": ["data:read"]})["token"]
            cases = [("none", None)] if mode == "open" else [
                ("JWT HS256", "Authorization: Bearer " + admin[
                    "Authorization"][7:]),
                ("API key", "X-API-Key: " + key),
                ("tenant JWT", "Authorization: Bearer " + tenant)]
            for name, header in cases:
                c0 = cpu_seconds([proc.pid])
                rps, done, bad = wrk(port, "/v1/collections/b/documents/k",
                                     header, args)
                c1 = cpu_seconds([proc.pid])
                rows.append((name, rps, (c1 - c0) * 1e6 / max(done, 1), bad))
        finally:
            proc.terminate()
            proc.wait(20)
    base_rps, base_cpu = rows[0][1], rows[0][2]
    print("| credential | req/s | ratio | server CPU µs/req | ratio | non-2xx |")
    print("|---|---|---|---|---|---|")
    for name, rps, cpu, bad in rows:
        print("| %s | %.0f | %.2f | %.1f | %.2f | %d |" % (
            name, rps, rps / base_rps, cpu, cpu / base_cpu, bad))


if __name__ == "__main__":
    main()
