#!/usr/bin/env bash
# MCP tool-call round trips (issue 21; a benchmark, not a test; numbers in
# docs/mcp.md): `tools/call get_document` (JSON answers) over one MCP
# session, against the same read over REST (GET
# /v1/collections/bench/documents/k1), alternating rounds in one run.
# h2load (HTTP/1.1, -c keep-alive connections, -n requests) drives both;
# prints calls/s and themisd's CPU µs per call (utime+stime from
# /proc/<pid>/stat around each run) and the MCP/REST ratios.
#
#   bench/mcp_bench.sh [requests, default 5000] [rounds, default 3]
#                      [connections, default 4]
# Needs: build/themisd (or THEMISD=…), h2load (nghttp2-client), curl.
set -euo pipefail
N=${1:-5000}
ROUNDS=${2:-3}
C=${3:-4}
source "$(dirname "$0")/lib.sh"
start_themisd
curl -fs -H 'Content-Type: application/json' -d '{"name":"bench"}' \
  "$BASE/v1/collections" >/dev/null
curl -fs -X PUT -H 'Content-Type: application/json' \
  -d '{"name":"item 1","qty":7,"tags":["a","b"]}' \
  "$BASE/v1/collections/bench/documents/k1" >/dev/null

SID=$(curl -fsi -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' \
  "$BASE/mcp" | awk 'tolower($1)=="mcp-session-id:" {print $2}' | tr -d '\r')
[[ -n $SID ]] || { echo "no session" >&2; exit 1; }
printf '%s' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_document","arguments":{"collection":"bench","key":"k1"}}}' \
  >"$TMP/call.json"
# the call answers the document
curl -fs -H 'Content-Type: application/json' -H "Mcp-Session-Id: $SID" \
  -H 'Accept: application/json, text/event-stream' -d @"$TMP/call.json" \
  "$BASE/mcp" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; assert r["structuredContent"]["document"]["qty"]==7, r'
echo "get_document over MCP and REST (n=$N, c=$C, rounds=$ROUNDS)"

run() { # h2load args... → "req/s cpu_us_per_req"
  local before after out rps
  before=$(cpu_ticks "$TPID")
  out=$(h2load --h1 -n "$N" -c "$C" "$@" 2>&1)
  after=$(cpu_ticks "$TPID")
  if ! grep -q "succeeded, 0 failed" <<<"$out" ||
     ! grep -q "status codes: $N 2xx" <<<"$out"; then
    echo "$out" >&2
    exit 1
  fi
  rps=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' <<<"$out")
  python3 -c "print('%s %.1f' % ('$rps', ($after - $before) * 1e6 / $CLK / $N))"
}

sum=""
for r in $(seq "$ROUNDS"); do
  rest=$(run "$BASE/v1/collections/bench/documents/k1")
  mcp=$(run -d "$TMP/call.json" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-06-18' \
    "$BASE/mcp")
  echo "round $r: REST $rest | MCP $mcp   (calls/s cpu_us/call)"
  sum+="$rest $mcp"$'\n'
done
python3 - <<PY
rows = [l.split() for l in """$sum""".strip().splitlines()]
import statistics as s
rr = s.median(float(r[0]) for r in rows); rc = s.median(float(r[1]) for r in rows)
mr = s.median(float(r[2]) for r in rows); mc = s.median(float(r[3]) for r in rows)
print("median: REST %.0f req/s, %.0f us CPU/req; MCP get_document %.0f calls/s, %.0f us CPU/call" % (rr, rc, mr, mc))
print("MCP/REST: throughput %.2f, CPU per call %.2f" % (mr / rr, mc / rc))
PY
