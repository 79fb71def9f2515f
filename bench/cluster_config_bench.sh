#!/bin/sh
# issue 25 (docs/cluster.md): replicated-config propagation across 3 and 5
# themisd nodes, and leader failover time, on a real 3-member etcd cluster
# on loopback (tests/integration/etcd_cluster.py starts it). Not a test.
#   bench/cluster_config_bench.sh [writes per size (20)] [failovers (3)]
# Propagation: time from the PUT's 200 until every node's
# GET /api/v1/cluster/config shows the new revision (each node polled in
# turn, so the figure includes up to one poll round, ~1 ms per node).
# Failover: time from SIGKILL of the leader until every survivor names a
# new one. NO_PROBE=1 advertises a wildcard address, which turns the
# leader probe off: failover by lease expiry alone, for comparison.
set -e
cd "$(dirname "$0")/.."
exec /usr/bin/python3 - "${1:-20}" "${2:-3}" <<'PY'
import os, statistics, sys, time
sys.path.insert(0, "tests/integration")
from etcd_cluster import EtcdCluster
from themis_harness import Server

writes, failovers = int(sys.argv[1]), int(sys.argv[2])
TTL = os.environ.get("LEASE_TTL_S", "1")
NO_PROBE = os.environ.get("NO_PROBE") == "1"


def start_nodes(etcd, count, prefix):
    nodes = []
    for i in range(count):
        s = Server(["--set", "cluster.node_id=b%d" % i,
                    "--set", "cluster.etcd.endpoints=" + ",".join(etcd.endpoints),
                    "--set", "cluster.etcd.prefix=" + prefix,
                    "--set", "cluster.lease_ttl_s=" + TTL]
                   + (["--set", "cluster.advertise=0.0.0.0:1"] if NO_PROBE
                      else []))
        nodes.append(s.start())
    deadline = time.time() + 20
    while time.time() < deadline:
        if all(len(n.json("GET", "/api/v1/cluster/status")[2]["nodes"]) == count
               for n in nodes):
            return nodes
        time.sleep(0.05)
    raise SystemExit("nodes did not register: %s" % [
        n.json("GET", "/api/v1/cluster/status")[2] for n in nodes])

def stop(nodes):
    for n in nodes:
        try:
            n.stop()
        finally:
            n.cleanup()

def rev_seen(n):
    body = n.json("GET", "/api/v1/cluster/config")[2]
    return body["sections"].get("rate_limiting", {}).get("mod_revision", 0)

etcd = EtcdCluster(3).start()
try:
    for count in (3, 5):
        nodes = start_nodes(etcd, count, "/bench%d" % count)
        times = []
        try:
            for i in range(writes):
                rev = rev_seen(nodes[0])
                st, _, body = nodes[i % count].json(
                    "PUT", "/api/v1/cluster/config",
                    {"section": "rate_limiting", "revision": rev,
                     "value": {"rules": ["/b%d %d/1s key=ip" % (i, i + 1)]}})
                t0 = time.time()
                assert st == 200, body
                want, pending = body["revision"], set(range(count))
                while pending:
                    for j in list(pending):
                        if rev_seen(nodes[j]) >= want:
                            pending.discard(j)
                times.append((time.time() - t0) * 1000)
                time.sleep(0.05)
        finally:
            stop(nodes)
        times.sort()
        print("propagation, %d nodes, %d writes: p50 %.1f ms, p90 %.1f ms, "
              "max %.1f ms" % (count, len(times), statistics.median(times),
                               times[int(len(times) * 0.9) - 1], times[-1]))
    nodes = start_nodes(etcd, 3, "/benchfo")
    results = []
    try:
        for _ in range(failovers):
            leader = nodes[0].json("GET", "/api/v1/cluster/status")[2]["leader"]
            victim = next(n for n in nodes if
                          n.json("GET", "/api/v1/cluster/status")[2]
                          ["is_leader"])
            victim.kill9()
            t0 = time.time()
            rest = [n for n in nodes if n is not victim]
            while not all(n.json("GET", "/api/v1/cluster/status")[2]["leader"]
                          not in ("", leader) for n in rest):
                time.sleep(0.005)
            results.append((time.time() - t0) * 1000)
            victim.start()
            time.sleep(1.5)
    finally:
        stop(nodes)
    print("leader failover after SIGKILL (lease TTL %s s, %s): %s ms" % (
        TTL, "lease expiry only" if NO_PROBE else "leader probe",
        ", ".join("%.0f" % r for r in results)))
finally:
    etcd.cleanup()
PY
