#!/usr/bin/env bash
# What a collection's JSON Schema costs a write (issue 22; a benchmark, not
# a test; numbers in docs/collection-schemas.md): the same insert (POST a
# 6-field document, generated key) into a collection without a schema,
# one with a strict 6-property rule (types, bounds, a pattern on RE2, an
# email format), and one whose rule is `off`. h2load drives each; prints
# requests/s and themisd's CPU µs per request.
#
#   bench/schema_bench.sh [requests, default 5000] [connections, default 4]
# Needs: build/themisd (or THEMISD=…), h2load (nghttp2-client), curl.
set -euo pipefail
N=${1:-5000}
C=${2:-4}
source "$(dirname "$0")/lib.sh"
start_themisd
rule='{"type":"object","required":["name","age"],"additionalProperties":false,
 "properties":{"name":{"type":"string","minLength":1,"maxLength":64},
 "age":{"type":"integer","minimum":0,"maximum":150},
 "email":{"type":"string","format":"email"},
 "sku":{"type":"string","pattern":"^[A-Z]{3}-[0-9]{4}$"},
 "tags":{"type":"array","items":{"type":"string"},"uniqueItems":true},
 "score":{"type":"number"}}}'
for c in plain strict off; do
  curl -fs -H 'Content-Type: application/json' -d "{\"name\":\"$c\"}" \
    "$BASE/api/v1/collections" >/dev/null
done
curl -fs -X PUT -d "{\"rule\":$rule,\"level\":\"strict\"}" \
  "$BASE/api/v1/collections/strict/schema" >/dev/null
curl -fs -X PUT -d "{\"rule\":$rule,\"level\":\"off\"}" \
  "$BASE/api/v1/collections/off/schema" >/dev/null
echo '{"name":"Ann","age":33,"email":"ann@example.org","sku":"ABC-1234","tags":["a","b","c"],"score":1.5}' >"$TMP/doc.json"
for c in plain strict off; do
  run "POST …/collections/$c/documents" -d "$TMP/doc.json" \
    -H 'Content-Type: application/json' "$BASE/api/v1/collections/$c/documents"
done
