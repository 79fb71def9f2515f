#!/usr/bin/env bash
# Idle connections (issue 30): RSS per idle MQTT connection (CONNECT +
# CONNACK, then silent) on themisd vs mosquitto, and per idle HTTP/1.1
# keep-alive connection (one GET answered, then silent) on themisd vs
# nginx, same run. RSS from /proc/PID/status before and after, divided by
# N. The process fd limit is raised to the hard limit (not the host's);
# N must stay below it on both sides (20,000 on the dev box).
#   bench/idle_bench.sh [N=15000]
set -euo pipefail
N=${1:-15000}
ulimit -n "$(ulimit -Hn)"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
TOOL=$ROOT/build/bench/mqtt_bench
MQ=$(port)
NG=$(port)
# a fresh themisd per protocol: memory the first one's connections freed
# would hide the second one's cost
start_t() {
  HTTP=$(port)
  MP=$(port)
  "$THEMISD" --data-dir "$TMP/data$1" --http-port "$HTTP" --pg-port 0 \
    --mqtt-port "$MP" --bind 127.0.0.1 --log-level warn \
    --set mqtt.sys_interval_s=3600 --set mqtt.max_connections=$((N + 100)) \
    --set http.max_connections=$((N + 100)) \
    --set http.idle_timeout_ms=600000 >"$TMP/themisd$1.log" 2>&1 &
  TPID=$!
  for _ in $(seq 150); do
    curl -fs "http://127.0.0.1:$HTTP/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
}
mosquitto -p "$MQ" >"$TMP/mosquitto.log" 2>&1 &
MPID=$!
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<NGX
worker_processes 1;
error_log $TMP/nginx/error.log;
pid $TMP/nginx/nginx.pid;
events { worker_connections $((N + 200)); }
http {
  access_log off;
  keepalive_timeout 600s;
  keepalive_requests 100000;
  client_body_temp_path $TMP/nginx;
  server {
    listen 127.0.0.1:$NG;
    location / { return 200 '{"status":"ok"}'; }
  }
}
NGX
nginx -c "$TMP/nginx/nginx.conf" -g 'daemon off; worker_rlimit_nofile '$((N + 400))';' &
NPID=$!
trap 'kill $MPID $NPID 2>/dev/null; bench_cleanup' EXIT
sleep 1
# nginx's worker holds the connections, not its master
NW=$(pgrep -P "$NPID" | head -1)
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

# measure NAME PID CMD…: RSS growth per connection while CMD holds N
measure() {
  local name=$1 pid=$2
  shift 2
  local r0 r1 out=$TMP/idle.out
  : >"$out"
  r0=$(rss "$pid")
  timeout 180 "$@" >"$out" 2>&1 &
  local tool=$!
  for _ in $(seq 1200); do grep -q connected "$out" && break; sleep 0.1; done
  sleep 1
  r1=$(rss "$pid")
  wait $tool || true
  grep -q connected "$out" || { echo "$name: client failed: $(cat "$out")"; return; }
  printf '%-28s %6.2f KiB RSS per idle connection (%d connections, RSS %d -> %d KiB)\n' \
    "$name" "$(python3 -c "print(($r1-$r0)/$N)")" "$N" "$r0" "$r1"
}
# warm-up: the first connections also page in code and allocator arenas
start_t 1
"$TOOL" "$MP" connect 200 >/dev/null
sleep 1
measure "mqtt themisd" "$TPID" "$TOOL" "$MP" idle "$N"
kill "$TPID"; wait "$TPID" 2>/dev/null || true
"$TOOL" "$MQ" connect 200 >/dev/null
measure "mqtt mosquitto" "$MPID" "$TOOL" "$MQ" idle "$N"
start_t 2
python3 "$ROOT/bench/idle_http_client.py" "$HTTP" 200 0 >/dev/null
sleep 1
measure "http keep-alive themisd" "$TPID" python3 "$ROOT/bench/idle_http_client.py" "$HTTP" "$N"
python3 "$ROOT/bench/idle_http_client.py" "$NG" 200 0 >/dev/null
measure "http keep-alive nginx" "$NW" python3 "$ROOT/bench/idle_http_client.py" "$NG" "$N"
