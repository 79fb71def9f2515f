#!/usr/bin/env bash
# issue 25 (docs/cluster.md): a whole cluster on loopback for trying it by
# hand: a 3-member etcd cluster (membership, leader, replicated config), a
# redis-server (shared rate limits) and three themisd nodes. Ctrl-C (or
# SIGTERM) stops everything and removes the data.
#
#   scripts/cluster.sh
#
# Env: THEMISD (default build/themisd), BASE_PORT (default 18080: nodes on
# BASE_PORT, +1, +2; Redis on BASE_PORT+10; etcd clients on BASE_PORT+20..22
# and peers on BASE_PORT+30..32).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THEMISD=${THEMISD:-$ROOT/build/themisd}
BASE=${BASE_PORT:-18080}
REDIS_PORT=$((BASE + 10))
TMP=$(mktemp -d /tmp/themis_cluster.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

initial=""
endpoints=""
for i in 0 1 2; do
  initial+="${initial:+,}e$i=http://127.0.0.1:$((BASE + 30 + i))"
  endpoints+="${endpoints:+,}http://127.0.0.1:$((BASE + 20 + i))"
done
for i in 0 1 2; do
  etcd --name "e$i" --data-dir "$TMP/etcd$i" \
    --listen-client-urls "http://127.0.0.1:$((BASE + 20 + i))" \
    --advertise-client-urls "http://127.0.0.1:$((BASE + 20 + i))" \
    --listen-peer-urls "http://127.0.0.1:$((BASE + 30 + i))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((BASE + 30 + i))" \
    --initial-cluster "$initial" --initial-cluster-state new \
    --heartbeat-interval 20 --election-timeout 200 \
    --logger zap --log-level warn >"$TMP/etcd$i.log" 2>&1 &
  PIDS+=($!)
done
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
  --appendonly no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  ETCDCTL_API=3 etcdctl --endpoints "$endpoints" endpoint health \
    >/dev/null 2>&1 && break
  sleep 0.1
done

for i in 0 1 2; do
  port=$((BASE + i))
  mkdir -p "$TMP/node$i"
  "$THEMISD" --data-dir "$TMP/node$i" --http-port "$port" --pg-port 0 \
    --mqtt-port 0 --bind 127.0.0.1 --log-level info \
    --set "cluster.node_id=node$i" --set "cluster.etcd.endpoints=$endpoints" \
    --set cluster.lease_ttl_s=1 --set "cluster.advertise=127.0.0.1:$port" \
    --set rate_limiting.backend=redis \
    --set "rate_limiting.redis.url=redis://127.0.0.1:$REDIS_PORT/0" \
    >"$TMP/node$i.log" 2>&1 &
  PIDS+=($!)
done
for i in 0 1 2; do
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$((BASE + i))/health/ready" >/dev/null && break
    sleep 0.1
  done
done

echo "etcd:   $endpoints (ETCDCTL_API=3 etcdctl --endpoints $endpoints get --prefix /themis)"
echo "redis:  127.0.0.1:$REDIS_PORT"
for i in 0 1 2; do
  echo "node $i: http://127.0.0.1:$((BASE + i))  log $TMP/node$i.log"
done
echo "try:    curl -s http://127.0.0.1:$BASE/api/v1/cluster/status"
echo "        curl -s -X PUT http://127.0.0.1:$BASE/api/v1/cluster/config \\"
echo "          -d '{\"section\":\"rate_limiting\",\"revision\":0,\"value\":{\"enabled\":true,\"rules\":[\"/ 10/1m key=ip\"]}}'"
echo "Ctrl-C stops the cluster."
if [[ ${CLUSTER_SELFTEST:-} == 1 ]]; then
  curl -s "http://127.0.0.1:$BASE/api/v1/cluster/status"
  echo
  exit 0
fi
wait
