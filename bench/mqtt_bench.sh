#!/usr/bin/env bash
# MQTT: themisd vs mosquitto in the same run, same client (bench/mqtt_bench):
# messages/s (delivered) and server CPU µs per delivered message from
# /proc/PID/stat; connect storm; RSS per idle connection.
# Usage: bench/mqtt_bench.sh [N] [IDLE]
set -euo pipefail
N=${1:-100000}
IDLE=${2:-10000}
# each idle connection is a socket on both sides, in one process each
ulimit -n "$(ulimit -Hn)"
B=$(dirname "$0")/../build
TOOL=$B/bench/mqtt_bench
DIR=$(mktemp -d)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
TP=$(free_port); MP=$(free_port)
"$B/themisd" --data-dir "$DIR" --http-port 0 --pg-port 0 --mqtt-port "$TP" \
  --set mqtt.sys_interval_s=3600 --set mqtt.max_connections=$((IDLE + 100)) \
  >"$DIR/themisd.log" 2>&1 &
T=$!
mosquitto -p "$MP" >"$DIR/mosquitto.log" 2>&1 &
M=$!
trap 'kill $T $M 2>/dev/null; rm -rf "$DIR"' EXIT
sleep 1
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
rss() { awk '/VmRSS/{print $2}' /proc/$1/status; }
for sc in qos0 qos1 qos0x4 qos1x4 fanout ingest1 ingest1x4; do
  n=$N; [[ $sc == fanout ]] && n=$((N / 20))
  for who in themisd:$T:$TP mosquitto:$M:$MP; do
    IFS=: read name pid port <<<"$who"
    c0=$(cpu $pid)
    out=$(timeout 120 "$TOOL" "$port" "$sc" "$n" | tr '\n' ' ')
    c1=$(cpu $pid)
    rate=$(echo "$out" | grep -oP '[0-9]+(?= msg/s)')
    secs=$(python3 -c "print(max(1e-9, $n/ max(1,${rate:-1})))")
    delivered=$(python3 -c "print(${rate:-0} * $secs * (100 if '$sc'=='fanout' else 1))")
    echo "$sc $name: $out cpu_us_per_msg=$(python3 -c "print(round(($c1-$c0)*10000/max(1,$delivered),2))")"
  done
done
for who in themisd:$T:$TP mosquitto:$M:$MP; do
  IFS=: read name pid port <<<"$who"
  echo "connect $name: $(timeout 120 "$TOOL" "$port" connect 2000 || true)"
  r0=$(rss $pid)
  timeout 120 "$TOOL" "$port" idle "$IDLE" >"$DIR/idle.out" &
  tool=$!
  for _ in $(seq 600); do grep -q connected "$DIR/idle.out" && break; sleep 0.1; done
  sleep 1
  r1=$(rss $pid)
  wait $tool || true
  echo "idle $name: $(python3 -c "print(round(($r1-$r0)/$IDLE,1))") KiB RSS per idle connection ($IDLE)"
done
