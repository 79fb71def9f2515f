#!/usr/bin/env bash
# Serverless functions (issue 27; a benchmark, not a test; numbers in
# docs/functions.md): a trivial WASI handler (tests/integration/wasm/
# hello.wat: writes 13 bytes to stdout) invoked over
# POST /api/v1/functions/{id}/invoke, against GET /health (a native
# handler answering a small JSON body) in the same run. Prints the first
# invocation after upload (cold: the module was compiled at upload, each
# call instantiates afresh, so cold and warm differ only by first-touch
# costs), then requests/s and themisd's CPU µs per request for each, via
# h2load (HTTP/1.1, -c keep-alive connections).
#
#   bench/functions_bench.sh [requests, default 5000] [connections, default 4]
# Needs: build/themisd (or THEMISD=…), h2load (nghttp2-client), curl,
# wat2wasm (wabt).
set -euo pipefail
N=${1:-5000}
C=${2:-4}
source "$(dirname "$0")/lib.sh"
start_themisd
wat2wasm "$ROOT/tests/integration/wasm/hello.wat" -o "$TMP/hello.wasm"
curl -fs -X PUT -H 'Content-Type: application/wasm' \
  --data-binary @"$TMP/hello.wasm" \
  "$BASE/api/v1/functions/hello/wasm?max_concurrent=$C" >/dev/null
curl -fso /dev/null -X POST -w 'first invocation (cold): %{time_total} s\n' \
  "$BASE/api/v1/functions/hello/invoke"
curl -fso /dev/null -X POST -w 'second invocation (warm): %{time_total} s\n' \
  "$BASE/api/v1/functions/hello/invoke"
printf 'x' >"$TMP/body"

run "GET /health (native)" "$BASE/health"
run "POST /api/v1/functions/hello/invoke" -d "$TMP/body" \
  "$BASE/api/v1/functions/hello/invoke"
curl -fs "$BASE/api/v1/functions/hello" | python3 -c \
  'import json,sys; s=json.load(sys.stdin)["stats"]; print("in-function time: mean %d µs, max %d µs over %d invocations" % (s["mean_us"], s["max_us"], s["invocations"]))'
