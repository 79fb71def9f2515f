#!/usr/bin/env python3
"""themisd vs nginx, same machine, same run: wrk throughput and server CPU
time per request (from /proc/PID/stat before and after each run).

  python3 bench/http_bench.py [--duration 10] [--connections 32] [--threads 1]

nginx answers a fixed small JSON from memory (`return 200`) for every
method, the cheapest possible baseline. Prints a Markdown table with
themisd/nginx ratios (for docs/performance.md)."""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / CLK_TCK


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                         text=True).stdout.split()
    return [int(p) for p in out]


def wait_http(url, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("not up: " + url)


def run_wrk(url, args, script=None):
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d",
           "%ds" % args.duration, "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True,
                         timeout=args.duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "total": total, "p50": p50, "p99": p99,
            "errors": int(non2xx.group(1)) if non2xx else 0}


def measure(pids, url, args, script=None):
    before = cpu_seconds(pids)
    r = run_wrk(url, args, script)
    r["cpu_us_per_req"] = (cpu_seconds(pids) - before) / max(r["total"], 1) * 1e6
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--themisd", default=os.path.join(ROOT, "build", "themisd"))
    ap.add_argument("--synchronous", default="full")
    ap.add_argument("--set", action="append", default=[],
                    help="extra themisd --set key=value")
    ap.add_argument("--only", default="", help="run cases containing this")
    args = ap.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            sys.exit("missing %s: run scripts/setup.sh" % tool)

    work = tempfile.mkdtemp(prefix="themis_bench_")
    tport, nport = free_port(), free_port()
    body = json.dumps({"_key": "doc1", "name": "bench", "value": 42})
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""
worker_processes auto;
daemon off;
pid %(w)s/nginx.pid;
error_log %(w)s/nginx_error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(w)s/body; proxy_temp_path %(w)s/proxy;
  fastcgi_temp_path %(w)s/fcgi; uwsgi_temp_path %(w)s/uwsgi; scgi_temp_path %(w)s/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:%(p)d;
    location / { default_type application/json; return 200 '%(b)s'; }
  }
}
""" % {"w": work, "p": nport, "b": body})
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    nginx = subprocess.Popen([nginx_bin, "-c", conf, "-p", work],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    themis = subprocess.Popen(
        [args.themisd, "--http-port", str(tport), "--data-dir",
         os.path.join(work, "data"), "--log-level", "warn", "--set",
         "engine.synchronous=" + args.synchronous]
        + [x for kv in args.set for x in ("--set", kv)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lua = os.path.join(work, "put.lua")
    with open(lua, "w") as f:
        f.write("""
local counter = 0
request = function()
  counter = counter + 1
  local path = "/v1/collections/bench/documents/k" .. counter .. "-" .. math.random(1, 1000000000)
  return wrk.format("PUT", path, {["Content-Type"] = "application/json"}, '{"name":"bench","value":42}')
end
""")
    try:
        wait_http("http://127.0.0.1:%d/health" % tport)
        wait_http("http://127.0.0.1:%d/" % nport)
        req = urllib.request.Request(
            "http://127.0.0.1:%d/v1/collections" % tport,
            data=b'{"name":"bench"}', method="POST")
        urllib.request.urlopen(req).read()
        req = urllib.request.Request(
            "http://127.0.0.1:%d/v1/collections/bench/documents/doc1" % tport,
            data=body.encode(), method="PUT")
        urllib.request.urlopen(req).read()
        tpids = [themis.pid]
        npids = [nginx.pid] + children(nginx.pid)
        rows = []
        cases = [
            ("GET /health", "/health", "/", None),
            ("GET one document", "/v1/collections/bench/documents/doc1", "/",
             None),
            ("PUT small document", "/", "/", lua),
        ]
        for name, tpath, npath, script in cases:
            if args.only not in name:
                continue
            n = measure(npids, "http://127.0.0.1:%d%s" % (nport, npath), args,
                        script)
            t = measure(tpids, "http://127.0.0.1:%d%s" % (tport, tpath), args,
                        script)
            rows.append((name, t, n))
        print("wrk -t%d -c%d -d%ds, engine.synchronous=%s, %d cores\n" % (
            args.threads, args.connections, args.duration, args.synchronous,
            os.cpu_count()))
        print("| case | themisd req/s | nginx req/s | ratio | themisd CPU µs/req "
              "| nginx CPU µs/req | CPU ratio | themisd p50/p99 | nginx p50/p99 |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
        for name, t, n in rows:
            print("| %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.2f | %s / %s | %s / %s |"
                  % (name, t["rps"], n["rps"], t["rps"] / n["rps"],
                     t["cpu_us_per_req"], n["cpu_us_per_req"],
                     t["cpu_us_per_req"] / max(n["cpu_us_per_req"], 1e-9),
                     t["p50"], t["p99"], n["p50"], n["p99"]))
            if t["errors"]:
                print("  (themisd non-2xx: %d)" % t["errors"])
    finally:
        themis.send_signal(signal.SIGTERM)
        nginx.send_signal(signal.SIGQUIT)
        for p in (themis, nginx):
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
