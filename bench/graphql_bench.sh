#!/usr/bin/env bash
# GraphQL vs REST, the same read in the same run (issue 21; a benchmark, not
# a test; numbers in docs/graphql.md). An SQL table of 100 rows × 3 columns
# (id int, name text, qty int) is read
#   1. over REST:    GET /v1/collections/bench/documents?limit=100
#   2. over GraphQL: POST /graphql {benchList(first: 100) {nodes {id name qty}}}
# with h2load (HTTP/1.1, -c connections, -n requests), alternating rounds.
# Prints requests/s and server CPU µs per request (utime+stime from
# /proc/<pid>/stat around each run) and the GraphQL/REST ratios.
#
#   bench/graphql_bench.sh [requests, default 5000] [rounds, default 3]
#                          [connections, default 4]
# Needs: build/themisd, h2load (nghttp2-client), psql.
set -euo pipefail
N=${1:-5000}
ROUNDS=${2:-3}
C=${3:-4}
source "$(dirname "$0")/lib.sh"
start_themisd

PGPASSWORD=themis psql -q -h 127.0.0.1 -p "$PG" -U themis -d themis \
  -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE bench (id int PRIMARY KEY, name text, qty int);
INSERT INTO bench SELECT i, 'item ' || i, i * 7 FROM generate_series(1, 100) i;
SQL

printf '%s' '{"query":"{ benchList(first: 100) { nodes { id name qty } } }"}' \
  >"$TMP/q.json"
GQL_URL="http://127.0.0.1:$HTTP/graphql"
REST_URL="http://127.0.0.1:$HTTP/v1/collections/bench/documents?limit=100"
# both answer 100 rows
rows_rest=$(curl -fs "$REST_URL" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["documents"]))')
rows_gql=$(curl -fs -H 'Content-Type: application/json' -d @"$TMP/q.json" "$GQL_URL" |
  python3 -c 'import json,sys;print(len(json.load(sys.stdin)["data"]["benchList"]["nodes"]))')
echo "rows: REST $rows_rest, GraphQL $rows_gql (n=$N, c=$C, rounds=$ROUNDS)"

run() { # label, h2load args... → "req/s cpu_us_per_req"
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

python_sum=""
for r in $(seq "$ROUNDS"); do
  rest=$(run "$REST_URL")
  gql=$(run -d "$TMP/q.json" -H 'Content-Type: application/json' "$GQL_URL")
  echo "round $r: REST $rest | GraphQL $gql   (req/s cpu_us/req)"
  python_sum+="$rest $gql"$'\n'
done
python3 - <<EOF
rows = [l.split() for l in """$python_sum""".strip().splitlines()]
import statistics as s
rr = s.median(float(r[0]) for r in rows); rc = s.median(float(r[1]) for r in rows)
gr = s.median(float(r[2]) for r in rows); gc = s.median(float(r[3]) for r in rows)
print("median: REST %.0f req/s, %.0f us CPU/req; GraphQL %.0f req/s, %.0f us CPU/req" % (rr, rc, gr, gc))
print("GraphQL/REST: throughput %.2f, CPU per request %.2f" % (gr / rr, gc / rc))
EOF
