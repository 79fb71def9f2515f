#!/usr/bin/env bash
# The cache middleware's cost per request (issue 22; a benchmark, not a
# test; numbers in docs/caching.md): the same document read with the
# middleware on (Cache-Control, Vary, Surrogate-Key; the document's own
# ETag) and off (cache.enabled=false), a conditional read answered 304,
# /openapi.json's body hash (320 KB hashed per request), and /health, which
# has no policy (the middleware's state is not even allocated). h2load
# (HTTP/1.1, -c keep-alive connections) drives each; prints requests/s and
# themisd's CPU µs per request.
#
#   bench/cache_bench.sh [requests, default 20000] [connections, default 4]
# Needs: build/themisd (or THEMISD=…), h2load (nghttp2-client), curl.
set -euo pipefail
N=${1:-20000}
C=${2:-4}
source "$(dirname "$0")/lib.sh"

for enabled in true false; do
  start_themisd --set cache.enabled=$enabled
  curl -fs -H 'Content-Type: application/json' -d '{"name":"bench"}' \
    "$BASE/api/v1/collections" >/dev/null
  curl -fs -X PUT -H 'Content-Type: application/json' -d '{"a":1}' \
    "$BASE/api/v1/collections/bench/documents/k1" >/dev/null
  tag=$(curl -fsI "$BASE/api/v1/collections/bench/documents/k1" |
    awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')
  echo "cache.enabled=$enabled"
  run "  GET /health (no policy)" "$BASE/health"
  run "  GET document" "$BASE/api/v1/collections/bench/documents/k1"
  run "  GET document, If-None-Match (304)" -H "If-None-Match: $tag" \
    "$BASE/api/v1/collections/bench/documents/k1"
  run "  GET /openapi.json (identity)" "$BASE/openapi.json"
  kill "$TPID"
  wait "$TPID" 2>/dev/null || true
  TPID=
  rm -rf "$TMP/data"
done
