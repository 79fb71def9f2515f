#!/usr/bin/env bash
# pgbench against themisd and, when PG_REF_PORT and PG_REF_PID name a local
# PostgreSQL (PID = its postmaster), against it in the same run: init scale
# 1, then select-only with -M prepared and -M simple, -c 8 -j 2. Prints tps
# and the server's CPU µs per transaction from /proc/PID/stat (utime +
# stime + the reaped children's time: PostgreSQL's backends are processes).
# Usage: bench/pg_bench.sh [seconds]
#   PG_REF_PORT=55432 PG_REF_PID=$(head -1 $PGDATA/postmaster.pid) \
#   PG_REF_USER=postgres bench/pg_bench.sh 10
set -euo pipefail
T=${1:-8}
BIN=${THEMISD:-$(dirname "$0")/../build/themisd}
PGB=$(ls /usr/lib/postgresql/*/bin/pgbench | head -1)
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$BIN" --data-dir "$DIR" --http-port 0 --pg-port "$PORT" \
  --set engine.synchronous=normal >"$DIR/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
sleep 1
cpu() { awk '{print $14+$15+$16+$17}' /proc/$1/stat; }
run() { # name port pid user password db
  export PGPASSWORD=$5
  local start=$(date +%s.%N)
  "$PGB" -h 127.0.0.1 -p "$2" -U "$4" -i -q -s 1 "$6" >/dev/null 2>&1
  echo "$1 init -s 1: $(python3 -c "print(round($(date +%s.%N)-$start,2))") s"
  for mode in prepared simple; do
    local c0=$(cpu "$3")
    local out=$("$PGB" -h 127.0.0.1 -p "$2" -U "$4" -S -M $mode -c 8 -j 2 -T "$T" "$6" 2>&1)
    sleep 0.3 # backends exit and are reaped into the parent's child time
    local c1=$(cpu "$3")
    local tx=$(echo "$out" | grep -oP 'processed: \K[0-9]+')
    local tps=$(echo "$out" | grep -oP 'tps = \K[0-9.]+' | head -1)
    echo "$1 -S -M $mode: tps=$tps cpu_us_per_tx=$(python3 -c "print(round(($c1-$c0)*10000/max(1,$tx),1))")"
  done
}
run themisd "$PORT" "$PID" themis themis themis
if [[ -n "${PG_REF_PORT:-}" && -n "${PG_REF_PID:-}" ]]; then
  run postgres "$PG_REF_PORT" "$PG_REF_PID" "${PG_REF_USER:-postgres}" "${PG_REF_PASSWORD:-}" "${PG_REF_DB:-postgres}"
fi
