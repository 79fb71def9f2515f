#!/usr/bin/env bash
# MQTT over WebSocket (ws:// at /mqtt) vs MQTT over TCP on one themisd,
# same client (MQTT.js, bench/mqtt_ws_bench.cjs), same run: delivered
# messages/s and server CPU µs per delivered message (/proc/PID/stat).
# Usage: bench/mqtt_ws_bench.sh [N]  (needs tests/node/node_modules)
# WS_DEFLATE=1: the client also negotiates permessage-deflate.
# THEMIS_ARGS: extra themisd arguments (e.g. --set http.ws_deflate=false).
# Server CPU includes CAF's idle polling, so a slower client shows more
# µs per message even where the server does the same work.
set -euo pipefail
N=${1:-20000}
B=$(dirname "$0")/../build
THEMISD=${THEMISD:-$B/themisd}
DIR=$(mktemp -d)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
HP=$(free_port); TP=$(free_port)
"$THEMISD" --data-dir "$DIR" --http-port "$HP" --pg-port 0 --mqtt-port "$TP" \
  --set mqtt.sys_interval_s=3600 ${THEMIS_ARGS:-} >"$DIR/themisd.log" 2>&1 &
T=$!
trap 'kill $T 2>/dev/null; rm -rf "$DIR"' EXIT
sleep 1
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for sc in qos0 qos1; do
  for url in "mqtt://127.0.0.1:$TP" "ws://127.0.0.1:$HP/mqtt"; do
    c0=$(cpu $T)
    out=$(timeout 120 node "$(dirname "$0")/mqtt_ws_bench.cjs" "$url" "$sc" "$N")
    c1=$(cpu $T)
    got=$(sed -E 's/.*\(([0-9]+) of.*/\1/' <<<"$out")
    echo "$sc ${url%%:*}: $out server_cpu_us_per_msg=$(python3 -c "print(round(($c1-$c0)*10000/max($got,1),1))")"
  done
done
