#!/usr/bin/env bash
# issue 25 (docs/cluster.md): three themisd nodes sharing their rate limits
# through one redis-server, all on loopback, for trying the Redis backend
# by hand. Ctrl-C (or SIGTERM) stops everything and removes the data.
#
#   scripts/redis_cluster.sh [RULE]        e.g. '/ 10/1m key=ip'
#
# Env: THEMISD (default build/themisd), BASE_PORT (default 18080: nodes on
# BASE_PORT, +1, +2; Redis on BASE_PORT+10).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THEMISD=${THEMISD:-$ROOT/build/themisd}
BASE=${BASE_PORT:-18080}
RULE=${1:-/ 10/1m key=ip}
REDIS_PORT=$((BASE + 10))
TMP=$(mktemp -d /tmp/themis_redis_cluster.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
  --appendonly no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1 && break
  sleep 0.1
done

for i in 0 1 2; do
  port=$((BASE + i))
  mkdir -p "$TMP/node$i"
  "$THEMISD" --data-dir "$TMP/node$i" --http-port "$port" --pg-port 0 \
    --mqtt-port 0 --bind 127.0.0.1 --log-level info \
    --set rate_limiting.enabled=true --set rate_limiting.backend=redis \
    --set "rate_limiting.redis.url=redis://127.0.0.1:$REDIS_PORT/0" \
    --set rate_limiting.redis.nodes_hint=3 \
    --set "rate_limiting.rules=$RULE" >"$TMP/node$i.log" 2>&1 &
  PIDS+=($!)
done
for i in 0 1 2; do
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$((BASE + i))/health/ready" >/dev/null && break
    sleep 0.1
  done
done

echo "redis:  127.0.0.1:$REDIS_PORT (redis-cli -p $REDIS_PORT --scan)"
for i in 0 1 2; do
  echo "node $i: http://127.0.0.1:$((BASE + i))  log $TMP/node$i.log"
done
echo "rule:   $RULE (shared by all three; try: for p in 0 1 2 0 1 2; do"
echo "        curl -s -o /dev/null -w '%{http_code} ' http://127.0.0.1:\$(($BASE+p))/v1/collections; done)"
echo "Ctrl-C stops the cluster."
if [[ ${REDIS_CLUSTER_SELFTEST:-} == 1 ]]; then
  # used once by hand to check this script: 12 requests round-robin
  for n in $(seq 0 11); do
    curl -s -o /dev/null -w '%{http_code} ' \
      "http://127.0.0.1:$((BASE + n % 3))/v1/collections"
  done
  echo
  exit 0
fi
wait
