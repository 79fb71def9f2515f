#!/usr/bin/env bash
# Graph traversal benchmark (issue 32; numbers in docs/graph.md): starts
# themisd on a temp data dir, loads a generated graph (V vertices, E random
# directed edges, seeded) with AQL INSERTs over HTTP, then times 3-hop
# OUTBOUND traversals from random start vertices through POST /query/aql:
#   global — order bfs, uniqueVertices global (every vertex once),
#   paths  — the default (dfs, uniqueEdges path): every path up to 3 hops,
# and POST /graph/traverse (max_depth 3). Prints load rate, per-query
# latency (p50/p99), queries/s with one client and the rows each query
# returned. Not a test.
#
# Usage: bench/graph_bench.sh [edges, default 1000000] [vertices, default
#        edges/10] [queries per workload, default 200]
# Environment: THEMISD (binary), KEEP=1 keeps the data dir.
set -euo pipefail
E=${1:-1000000}
V=${2:-$((E / 10))}
Q=${3:-200}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${THEMISD:-$HERE/../build/themisd}
DIR=$(mktemp -d /tmp/graph_bench.XXXXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
PORT=$(free_port)
TPID=
cleanup() {
  [[ -n $TPID ]] && kill "$TPID" 2>/dev/null || true
  [[ -n ${KEEP:-} ]] || rm -rf "$DIR"
}
trap cleanup EXIT

"$BIN" --data-dir "$DIR/data" --http-port "$PORT" --pg-port 0 \
  --mqtt-port 0 --bind 127.0.0.1 --set engine.synchronous=normal \
  --set query.timeout_ms=600000 --set query.max_rows=10000000 \
  >"$DIR/themisd.log" 2>&1 &
TPID=$!
for _ in $(seq 150); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

python3 - "$PORT" "$E" "$V" "$Q" <<'EOF'
import http.client, json, random, statistics, sys, time

port, E, V, Q = (int(x) for x in sys.argv[1:5])
rng = random.Random(32)

def post(path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", path, json.dumps(body),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status not in (200, 201):
        raise SystemExit("%s %d %s" % (path, r.status, data[:300]))
    return json.loads(data)

def aql(q, bind):
    return post("/query/aql", {"query": q, "bindVars": bind})

for c in ("vx", "links"):
    post("/v1/collections", {"name": c})
t0 = time.time()
B = 20000
for i in range(0, V, B):
    aql("FOR i IN @lo..@hi INSERT {_key: TO_STRING(i), n: i} INTO vx",
        {"lo": i, "hi": min(V, i + B) - 1})
tv = time.time() - t0
t0 = time.time()
for i in range(0, E, B):
    n = min(B, E - i)
    edges = [{"_from": "vx/%d" % rng.randrange(V),
              "_to": "vx/%d" % rng.randrange(V), "w": rng.randint(1, 9)}
             for _ in range(n)]
    aql("FOR e IN @e INSERT e INTO links", {"e": edges})
te = time.time() - t0
print("graph: %d vertices (%.1f s, %.0f/s), %d edges (%.1f s, %.0f/s), "
      "avg out-degree %.1f" % (V, tv, V / tv, E, te, E / te, E / V),
      flush=True)

def bench(name, fn, q=Q):
    starts = [rng.randrange(V) for _ in range(q)]
    fn(starts[0])  # warm-up
    lat, rows = [], []
    t0 = time.time()
    for s in starts:
        a = time.time()
        rows.append(fn(s))
        lat.append((time.time() - a) * 1000)
    wall = time.time() - t0
    lat.sort()
    print("%-28s %4d queries  p50 %7.2f ms  p99 %7.2f ms  %7.1f q/s  "
          "rows/query avg %.0f" % (name, q, lat[len(lat) // 2],
                                   lat[min(len(lat) - 1, int(len(lat) * .99))],
                                   q / wall, statistics.mean(rows)), flush=True)

bench("3 hops, bfs, global", lambda s: aql(
    "FOR v IN 1..3 OUTBOUND @s links OPTIONS {order: 'bfs', "
    "uniqueVertices: 'global'} COLLECT WITH COUNT INTO n RETURN n",
    {"s": "vx/%d" % s})["result"][0])
bench("3 hops, all paths", lambda s: aql(
    "FOR v IN 1..3 OUTBOUND @s links COLLECT WITH COUNT INTO n RETURN n",
    {"s": "vx/%d" % s})["result"][0])
bench("3 hops, return v._key", lambda s: len(aql(
    "FOR v IN 1..3 OUTBOUND @s links OPTIONS {order: 'bfs', "
    "uniqueVertices: 'global'} RETURN v._key", {"s": "vx/%d" % s})["result"]))
bench("POST /graph/traverse d=3", lambda s: post(
    "/graph/traverse", {"start_vertex": "vx/%d" % s, "max_depth": 3,
                        "edge_collection": "links"})["visited_count"])
# a path search settles the backward ball around the target (not
# bidirectional): far slower than a 3-hop traversal, so fewer queries
bench("shortest path (hops)", lambda s: len(aql(
    "FOR v IN OUTBOUND SHORTEST_PATH @s TO @t links RETURN 1",
    {"s": "vx/%d" % s, "t": "vx/%d" % rng.randrange(V)})["result"]),
      max(1, Q // 20))
EOF
echo "data dir size: $(du -sh "$DIR/data" | cut -f1)"
