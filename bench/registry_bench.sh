#!/usr/bin/env bash
# The handler registry's cost per request (issue 22; a benchmark, not a
# test; numbers in docs/versioning.md): the same document read through
# its /api/v1 path (registry match, path rewrite), its deprecated /v1
# alias (plus Deprecation/Sunset/Link and the per-principal counter), and
# a validated POST (/api/v1/query/aql, schema checked by valijson) against
# the same POST with a 16 KB bind value. h2load (HTTP/1.1, -c
# keep-alive connections) drives each; prints requests/s and themisd's CPU
# µs per request (utime+stime from /proc/<pid>/stat around each run), and
# the size and first-fetch time of /openapi.json.
#
#   bench/registry_bench.sh [requests, default 5000] [connections, default 4]
# Needs: build/themisd (or THEMISD=…), h2load (nghttp2-client), curl.
set -euo pipefail
N=${1:-5000}
C=${2:-4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THEMISD=${THEMISD:-$ROOT/build/themisd}
TMP=$(mktemp -d /tmp/registry_bench.XXXXXX)
TPID=
cleanup() {
  [[ -n $TPID ]] && kill "$TPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
HTTP=$(port)
PG=$(port)
CLK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

"$THEMISD" --data-dir "$TMP/data" --http-port "$HTTP" --pg-port "$PG" \
  --mqtt-port 0 --bind 127.0.0.1 --log-level warn >"$TMP/themisd.log" 2>&1 &
TPID=$!
for _ in $(seq 150); do
  curl -fs "http://127.0.0.1:$HTTP/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
BASE="http://127.0.0.1:$HTTP"
curl -fs -H 'Content-Type: application/json' -d '{"name":"bench"}' \
  "$BASE/api/v1/collections" >/dev/null
curl -fs -X PUT -H 'Content-Type: application/json' -d '{"a":1}' \
  "$BASE/api/v1/collections/bench/documents/k1" >/dev/null
curl -so "$TMP/openapi.json" -w 'openapi.json: %{size_download} bytes, first fetch %{time_total} s\n' \
  "$BASE/openapi.json"
echo '{"query":"RETURN 1"}' >"$TMP/small.json"
python3 -c 'import json;print(json.dumps({"query":"RETURN LENGTH(@v)","bindVars":{"v":["x"*16]*800}}))' >"$TMP/big.json"

run() { # name, extra h2load args…, url
  local name=$1
  shift
  local before after out
  before=$(cpu_ticks "$TPID")
  out=$(h2load --h1 -n "$N" -c "$C" "$@" 2>&1)
  after=$(cpu_ticks "$TPID")
  local rps
  rps=$(echo "$out" | awk '/^finished in/ {print $4}')
  local ok
  ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  awk -v n="$N" -v t=$((after - before)) -v clk="$CLK" -v name="$name" \
    -v rps="$rps" -v ok="$ok" 'BEGIN {
      printf "%-34s %10s req/s  %7.1f µs CPU/req  (2xx %s)\n", name, rps,
             t / clk * 1e6 / n, ok }'
}
run "GET /api/v1/…/documents/k1" "$BASE/api/v1/collections/bench/documents/k1"
run "GET /v1/…/documents/k1 (deprecated)" "$BASE/v1/collections/bench/documents/k1"
run "POST /api/v1/query/aql (small)" -d "$TMP/small.json" \
  -H 'Content-Type: application/json' "$BASE/api/v1/query/aql"
run "POST /api/v1/query/aql (16 KB value)" -d "$TMP/big.json" \
  -H 'Content-Type: application/json' "$BASE/api/v1/query/aql"
