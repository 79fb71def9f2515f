#!/usr/bin/env python3
"""HTTP/2 and TLS: themisd vs nginx, same machine, same run. Throughput and
server CPU time per request (from /proc/PID/stat before and after).

  python3 bench/h2_bench.py [--duration 10] [--clients 32] [--streams 10]

Cases: h2load on h2c (prior knowledge) and on h2 over TLS 1.3
(`-c clients -m streams`), wrk over HTTPS (HTTP/1.1 keep-alive), and new
TLS 1.3 handshakes per second (openssl s_time -new). nginx answers a fixed
JSON from memory; themisd answers GET /health. Prints a Markdown table."""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_bench import ROOT, children, cpu_seconds, free_port, wait_http  # noqa


def h2load(url, args):
    out = subprocess.run(
        ["h2load", "-c", str(args.clients), "-m", str(args.streams), "-D",
         str(args.duration), "-t", "1", url], capture_output=True, text=True,
        timeout=args.duration + 60).stdout
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))
    done = int(re.search(r"(\d+) succeeded", out).group(1))
    return rps, done


def wrk(url, args):
    out = subprocess.run(["wrk", "-t1", "-c", str(args.clients), "-d",
                          "%ds" % args.duration, url], capture_output=True,
                         text=True, timeout=args.duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, done


def handshakes(port, ca, args):
    out = subprocess.run(
        ["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new",
         "-time", str(args.duration), "-CAfile", ca],
        capture_output=True, text=True, timeout=args.duration + 60).stdout
    m = re.search(r"(\d+) connections in ([\d.]+)s", out)
    n, secs = int(m.group(1)), float(m.group(2))
    return n / secs, n


def measure(pids, fn):
    before = cpu_seconds(pids)
    rate, done = fn()
    return rate, (cpu_seconds(pids) - before) / max(done, 1) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--streams", type=int, default=10)
    ap.add_argument("--themisd", default=os.path.join(ROOT, "build", "themisd"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="themis_h2bench_")
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                    work], check=True, capture_output=True)
    crt, key, ca = (os.path.join(work, f)
                    for f in ("server.crt", "server.key", "ca.crt"))
    tp, tsp, np_, nsp = free_port(), free_port(), free_port(), free_port()
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
  http2_max_requests 1000000;
  ssl_protocols TLSv1.3;
  server {
    listen 127.0.0.1:%(p)d http2;
    listen 127.0.0.1:%(sp)d ssl http2;
    ssl_certificate %(crt)s; ssl_certificate_key %(key)s;
    location / { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
""" % {"w": work, "p": np_, "sp": nsp, "crt": crt, "key": key})
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c",
                              conf, "-p", work], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    themis = subprocess.Popen(
        [args.themisd, "--http-port", str(tp), "--https-port", str(tsp),
         "--pg-port", "0", "--mqtt-port", "0", "--tls-cert", crt, "--tls-key",
         key, "--data-dir", os.path.join(work, "data"), "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http("http://127.0.0.1:%d/health" % tp)
        tpids = [themis.pid]
        npids = [nginx.pid] + children(nginx.pid)
        cases = [
            ("h2c, h2load -c%d -m%d" % (args.clients, args.streams),
             lambda p: h2load("http://127.0.0.1:%d/health" % p, args),
             tp, np_),
            ("h2 over TLS 1.3, h2load -c%d -m%d" % (args.clients, args.streams),
             lambda p: h2load("https://127.0.0.1:%d/health" % p, args),
             tsp, nsp),
            ("HTTPS HTTP/1.1 keep-alive, wrk -c%d" % args.clients,
             lambda p: wrk("https://127.0.0.1:%d/health" % p, args), tsp, nsp),
            ("new TLS 1.3 handshakes/s (s_time -new)",
             lambda p: handshakes(p, ca, args), tsp, nsp),
        ]
        print("| case | themisd /s | nginx /s | ratio | themisd CPU µs/op "
              "| nginx CPU µs/op |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, fn, t_port, n_port in cases:
            n_rate, n_cpu = measure(npids, lambda: fn(n_port))
            t_rate, t_cpu = measure(tpids, lambda: fn(t_port))
            print("| %s | %.0f | %.0f | %.2f | %.1f | %.1f |" % (
                name, t_rate, n_rate, t_rate / max(n_rate, 1e-9), t_cpu, n_cpu))
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
