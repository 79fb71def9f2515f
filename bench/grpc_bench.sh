#!/usr/bin/env bash
# gRPC throughput and server CPU per call (issue 20; a benchmark, not a
# test). Same client for both servers:
#   1. unary themis.v1.Documents/Get of one document, h2load (-n calls,
#      -c connections, -m streams each) against
#      a. themisd (SQLite through the reader pool, the REST handler), and
#      b. build/bench/grpc_ref_server: the same RPC on libgrpc++ answering
#         from an in-memory map;
#   2. a server-streamed 100,000-row query: Query/Execute over python3-grpcio
#      vs the REST cursor path (POST /v1/query + GET /v1/query/cursor/{id})
#      over http.client, same themisd, same batch size.
# Server CPU is the sum of the server's threads' run time
# (/proc/<pid>/task/*/schedstat) before and after.
#
#   bench/grpc_bench.sh [calls] [rounds]        (defaults: 20000, 3)
set -euo pipefail
N=${1:-20000}
ROUNDS=${2:-3}
C=${C:-4}
M=${M:-16}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THEMISD=${THEMISD:-$ROOT/build/themisd}
REF=${REF:-$ROOT/build/bench/grpc_ref_server}
TMP=$(mktemp -d /tmp/grpcbench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {print s}'; }

HP=$(port); PP=$(port); MP=$(port); RP=$(port)
"$THEMISD" --data-dir "$TMP/data" --bind 127.0.0.1 --http-port "$HP" \
  --pg-port "$PP" --mqtt-port "$MP" --log-level warn \
  --set rate_limiting.enabled=false >"$TMP/themisd.log" 2>&1 &
TPID=$!
"$REF" "$RP" >"$TMP/ref.log" 2>&1 &
RPID=$!
for _ in $(seq 100); do
  curl -s "http://127.0.0.1:$HP/health/ready" >/dev/null && break
  sleep 0.1
done
sleep 0.3
curl -s -X POST "http://127.0.0.1:$HP/v1/collections" -d '{"name":"bench"}' >/dev/null
for i in $(seq 0 99); do
  curl -s -X PUT "http://127.0.0.1:$HP/v1/collections/bench/documents/k$i" \
    -d "{\"name\":\"user $i\",\"n\":$i}" >/dev/null
done
# GetDocumentRequest{collection:"bench", key:"k1"} in a gRPC frame
printf '\x00\x00\x00\x00\x0b\x0a\x05bench\x12\x02k1' > "$TMP/get.bin"

unary() { # name port pid
  local best=0 cpu_best=0
  for r in $(seq "$ROUNDS"); do
    local c0; c0=$(cpu_ns "$3")
    local out; out=$(h2load -n "$N" -c "$C" -m "$M" -d "$TMP/get.bin" \
      -H 'content-type: application/grpc' -H 'te: trailers' \
      "http://127.0.0.1:$2/themis.v1.Documents/Get" 2>&1)
    local c1; c1=$(cpu_ns "$3")
    local rps; rps=$(echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}')
    local ok; ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
    local us; us=$(awk -v a="$c0" -v b="$c1" -v n="$N" 'BEGIN {printf "%.1f", (b-a)/1000/n}')
    echo "$1 round $r: $rps calls/s, 2xx=$ok, server CPU $us us/call" >&2
    if awk -v a="$rps" -v b="$best" 'BEGIN {exit !(a > b)}'; then
      best=$rps; cpu_best=$us
    fi
  done
  echo "$best $cpu_best"
}

read -r T_RPS T_CPU < <(unary themisd "$HP" "$TPID")
read -r R_RPS R_CPU < <(unary libgrpc++ "$RP" "$RPID")
echo "unary Get, $N calls, $C connections x $M streams (best of $ROUNDS):"
echo "  themisd   : $T_RPS calls/s, $T_CPU us server CPU per call"
echo "  libgrpc++ : $R_RPS calls/s, $R_CPU us server CPU per call"
awk -v a="$T_RPS" -v b="$R_RPS" 'BEGIN {printf "  ratio themisd/libgrpc++: %.2fx\n", a/b}'

# the grpc_tools stubs for the streaming client
mkdir -p "$TMP/stubs"
/usr/bin/python3 -m grpc_tools.protoc -I"$ROOT/protos" -I/usr/include \
  --python_out="$TMP/stubs" --grpc_python_out="$TMP/stubs" \
  themis/v1/query.proto
STUBS="$TMP/stubs" PORT="$HP" PID="$TPID" ROUNDS="$ROUNDS" /usr/bin/python3 - <<'PY'
import http.client, json, os, sys, time
sys.path.insert(0, os.environ["STUBS"])
import grpc
from themis.v1 import query_pb2, query_pb2_grpc
port, pid = int(os.environ["PORT"]), os.environ["PID"]
Q, B = "FOR i IN 1..100000 RETURN {i: i, s: CONCAT('row-', i)}", 1000

def cpu():
    t = 0
    for task in os.listdir("/proc/%s/task" % pid):
        with open("/proc/%s/task/%s/schedstat" % (pid, task)) as f:
            t += int(f.read().split()[0])
    return t

def via_grpc():
    ch = grpc.insecure_channel("127.0.0.1:%d" % port)
    q = query_pb2_grpc.QueryStub(ch)
    n = sum(len(b.rows) for b in q.Execute(
        query_pb2.ExecuteRequest(query=Q, batch_size=B), timeout=120))
    ch.close()
    return n

def via_rest():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", "/v1/query", json.dumps({"query": Q, "batchSize": B}),
              {"Content-Type": "application/json"})
    j = json.loads(c.getresponse().read())
    n = len(j["result"])
    while j.get("hasMore"):
        c.request("GET", "/v1/query/cursor/" + j["id"])
        j = json.loads(c.getresponse().read())
        n += len(j["result"])
    c.close()
    return n

print("streamed 100,000-row query, batches of %d (best of %s):" % (B, os.environ["ROUNDS"]))
res = {}
for name, fn in (("gRPC Query/Execute", via_grpc), ("REST /v1/query cursor", via_rest)):
    best = None
    for _ in range(int(os.environ["ROUNDS"])):
        c0, t0 = cpu(), time.perf_counter()
        n = fn()
        t1, c1 = time.perf_counter(), cpu()
        assert n == 100000, n
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, (c1 - c0) / 1e6)
    res[name] = best
    print("  %-22s: %.3f s wall, %.0f ms server CPU (%.2f us/row)" %
          (name, best[0], best[1], best[1] * 1000 / 100000))
g, r = res["gRPC Query/Execute"], res["REST /v1/query cursor"]
print("  ratio gRPC/REST: %.2fx wall, %.2fx server CPU" % (g[0] / r[0], g[1] / r[1]))
PY
