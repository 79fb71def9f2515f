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
source "$(dirname "$0")/lib.sh"
start_themisd
curl -fs -H 'Content-Type: application/json' -d '{"name":"bench"}' \
  "$BASE/api/v1/collections" >/dev/null
curl -fs -X PUT -H 'Content-Type: application/json' -d '{"a":1}' \
  "$BASE/api/v1/collections/bench/documents/k1" >/dev/null
curl -so "$TMP/openapi.json" -w 'openapi.json: %{size_download} bytes, first fetch %{time_total} s\n' \
  "$BASE/openapi.json"
echo '{"query":"RETURN 1"}' >"$TMP/small.json"
python3 -c 'import json;print(json.dumps({"query":"RETURN LENGTH(@v)","bindVars":{"v":["x"*16]*800}}))' >"$TMP/big.json"

run "GET /api/v1/…/documents/k1" "$BASE/api/v1/collections/bench/documents/k1"
run "GET /v1/…/documents/k1 (deprecated)" "$BASE/v1/collections/bench/documents/k1"
run "POST /api/v1/query/aql (small)" -d "$TMP/small.json" \
  -H 'Content-Type: application/json' "$BASE/api/v1/query/aql"
run "POST /api/v1/query/aql (16 KB value)" -d "$TMP/big.json" \
  -H 'Content-Type: application/json' "$BASE/api/v1/query/aql"
