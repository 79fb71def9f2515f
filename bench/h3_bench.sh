#!/usr/bin/env bash
# HTTP/3 throughput and server CPU per request (issue 19; a benchmark, not a
# test). Same client for both HTTP/3 servers: ngtcp2's example client
# (gtlsclient, -n streams on one connection) against
#   1. themisd's HTTP/3 listener (GET /health), and
#   2. Debian's ngtcp2 example server (gtlsserver) serving a small file,
# plus themisd's HTTP/2 path (h2load over TLS: Debian's h2load has no
# --h3, so h2 is measured with h2load, same request count and concurrency).
# Server CPU is the sum of the server's threads' run time from
# /proc/<pid>/task/*/schedstat (nanoseconds) before and after.
#
#   bench/h3_bench.sh [requests] [rounds]        (defaults: 2000, 3)
# Needs: build/themisd, gtlsclient/gtlsserver (ngtcp2-client/-server),
# h2load (nghttp2-client), openssl.
set -euo pipefail
N=${1:-2000}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THEMISD=${THEMISD:-$ROOT/build/themisd}
TMP=$(mktemp -d /tmp/h3bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
bash "$ROOT/scripts/dev-certs.sh" "$TMP" >/dev/null 2>&1
mkdir -p "$TMP/www"
printf '{"status":"ok"}' > "$TMP/www/health"

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {print s}'; }

HP=$(port); PP=$(port); MP=$(port); TP=$(port); RP=$(port)
"$THEMISD" --data-dir "$TMP/data" --bind 127.0.0.1 --http-port "$HP" \
  --pg-port "$PP" --mqtt-port "$MP" --https-port "$TP" --mqtts-port 0 \
  --tls-cert "$TMP/server.crt" --tls-key "$TMP/server.key" \
  --log-level warn --set rate_limiting.enabled=false >"$TMP/themisd.log" 2>&1 &
TPID=$!
gtlsserver -q -d "$TMP/www" 127.0.0.1 "$RP" "$TMP/server.key" \
  "$TMP/server.crt" >"$TMP/ref.log" 2>&1 &
RPID=$!
for _ in $(seq 100); do
  curl -s "http://127.0.0.1:$HP/health" >/dev/null && break
  sleep 0.1
done

run() { # label pid command...
  local label=$1 pid=$2; shift 2
  local best=0 cpu_best=0
  for _ in $(seq "$ROUNDS"); do
    local c0 t0 t1 c1
    c0=$(cpu_ns "$pid"); t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "$label: client failed" >&2; return 1; }
    t1=$(date +%s.%N); c1=$(cpu_ns "$pid")
    local rps us
    rps=$(echo "$N / ($t1 - $t0)" | bc -l)
    us=$(echo "($c1 - $c0) / 1000 / $N" | bc -l)
    if (( $(echo "$rps > $best" | bc -l) )); then best=$rps; cpu_best=$us; fi
  done
  printf '%-34s %10.0f req/s   %7.1f server CPU us/req\n' "$label" "$best" "$cpu_best"
}

echo "requests per round: $N, best of $ROUNDS rounds, one connection"
run "themisd h3 (gtlsclient)" "$TPID" gtlsclient -q -n "$N" \
  --max-streams-bidi=100 --exit-on-all-streams-close 127.0.0.1 "$TP" \
  "https://localhost:$TP/health"
run "ngtcp2 gtlsserver h3 (gtlsclient)" "$RPID" gtlsclient -q -n "$N" \
  --max-streams-bidi=100 --exit-on-all-streams-close 127.0.0.1 "$RP" \
  "https://localhost:$RP/health"
run "themisd h2 over TLS (h2load -m100)" "$TPID" h2load -n "$N" -c 1 -m 100 \
  "https://127.0.0.1:$TP/health"
