#!/usr/bin/env python3
"""Changefeed write -> SSE subscriber latency and fan-out.

  python3 bench/changefeed_bench.py [--duration 5] [--subscribers 1,100,1000]
                                    [--rates 1000,max]

Writers PUT documents carrying their send time (time.time_ns()) over
keep-alive connections, paced to the given rate (or as fast as 8 writer
threads go for `max`). One subscriber parses every event and measures
receive time minus send time; the other subscribers read and discard
(they load the server's fan-out like real clients). Prints a Markdown
table for docs/performance.md. Latency includes the durable commit
(engine.synchronous=full) and Python's own client overhead."""

import argparse
import http.client
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from bench_util import cpu_seconds, free_port  # noqa: E402


def open_sse(port, path):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    return s


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def run_case(port, rate, n_subs, duration, pid):
    tip = json.loads(urllib.request.urlopen(
        "http://127.0.0.1:%d/changefeed?from_seq=now" % port).read())
    path = "/changefeed/stream?from_seq=%d&collection=bench" % \
        tip["latest_sequence"]
    measurer = open_sse(port, path)
    drainers = [open_sse(port, path) for _ in range(n_subs - 1)]
    time.sleep(0.5)
    lat, drained, stop = [], [0], threading.Event()

    def measure():
        buf = b""
        measurer.settimeout(0.2)
        while not stop.is_set():
            try:
                chunk = measurer.recv(262144)
            except socket.timeout:
                continue
            if not chunk:
                return
            now = time.time_ns()
            buf += chunk
            while b"\ndata: " in buf:
                start = buf.index(b"\ndata: ") + 7
                end = buf.find(b"\n", start)
                if end < 0:
                    break
                ev = json.loads(buf[start:end])
                lat.append((now - ev["value"]["t"]) / 1e6)
                buf = buf[end:]

    def drain():
        sel = selectors.DefaultSelector()
        for d in drainers:
            d.setblocking(False)
            sel.register(d, selectors.EVENT_READ)
        while not stop.is_set():
            for key, _ in sel.select(timeout=0.2):
                try:
                    drained[0] += len(key.fileobj.recv(262144))
                except BlockingIOError:
                    pass

    sent = [0]
    lock = threading.Lock()

    def writer(wid, per_thread_rate):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        t0 = time.time()
        while time.time() - t0 < duration:
            body = json.dumps({"blob": json.dumps({"t": time.time_ns()})})
            c.request("PUT", "/entities/bench:w%d-%d" % (wid, i % 1000), body,
                      {"Content-Type": "application/json"})
            c.getresponse().read()
            i += 1
            if per_thread_rate:
                ahead = i / per_thread_rate - (time.time() - t0)
                if ahead > 0:
                    time.sleep(ahead)
        with lock:
            sent[0] += i
        c.close()

    threads = [threading.Thread(target=measure), threading.Thread(target=drain)]
    n_writers = 8 if rate == "max" else 4
    per = None if rate == "max" else int(rate) / n_writers
    writers = [threading.Thread(target=writer, args=(w, per))
               for w in range(n_writers)]
    cpu0 = cpu_seconds(pid)
    for t in threads + writers:
        t.start()
    for t in writers:
        t.join()
    time.sleep(0.5)
    cpu = cpu_seconds(pid) - cpu0
    stop.set()
    for t in threads:
        t.join()
    for s in [measurer] + drainers:
        s.close()
    return {"rate": sent[0] / duration, "p50": percentile(lat, 0.5),
            "p99": percentile(lat, 0.99), "n": len(lat),
            "fanout_mb": drained[0] / 1e6 / duration,
            "cpu_us_per_delivery": cpu / max(1, sent[0] * n_subs) * 1e6,
            "server_cpu": cpu / (duration + 0.5)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--subscribers", default="1,100,1000")
    ap.add_argument("--rates", default="1000,max")
    ap.add_argument("--themisd", default=os.path.join(ROOT, "build", "themisd"))
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    work = tempfile.mkdtemp(prefix="themis_cfbench_")
    port = free_port()
    srv = subprocess.Popen([args.themisd, "--http-port", str(port),
                            "--data-dir", work, "--log-level", "warn"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/health" % port)
                break
            except OSError:
                time.sleep(0.05)
        print("| target writes/s | subscribers | achieved writes/s | events "
              "measured | p50 ms | p99 ms | fan-out MB/s | server CPU "
              "(cores) | server CPU µs per event delivered |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for rate in args.rates.split(","):
            for n in [int(x) for x in args.subscribers.split(",")]:
                r = run_case(port, rate, n, args.duration, srv.pid)
                print("| %s | %d | %.0f | %d | %.2f | %.2f | %.1f | %.2f | "
                      "%.1f |" % (rate, n, r["rate"], r["n"], r["p50"],
                                  r["p99"], r["fanout_mb"], r["server_cpu"],
                                  r["cpu_us_per_delivery"]))
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(30)


if __name__ == "__main__":
    main()
