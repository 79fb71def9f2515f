#!/usr/bin/env bash
# pgbench against themisd (and a local PostgreSQL 15 when PG_REF_PORT names
# a running one): init scale 1, then select-only with -M prepared and
# -M simple, -c 8 -j 2. Prints tps and server CPU µs per transaction (from
# /proc/PID/stat, the steadier figure on a shared machine).
# Usage: bench/pg_bench.sh [seconds]   (PG_REF_PORT=5432 PG_REF_PID=… optional)
set -euo pipefail
T=${1:-8}
BIN=${THEMISD:-$(dirname "$0")/../build/themisd}
PGB=$(ls /usr/lib/postgresql/*/bin/pgbench | head -1)
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$BIN" --data-dir "$DIR" --http-port 0 --pg-port "$PORT" --set engine.synchronous=normal >"$DIR/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
sleep 1
export PGPASSWORD=${PGPASSWORD:-themis}
run() { # name port pid
  local start=$(date +%s.%N)
  "$PGB" -h 127.0.0.1 -p "$2" -U "${PGUSER:-themis}" -i -q -s 1 "${PGDATABASE:-themis}" >/dev/null 2>&1
  echo "$1 init -s 1: $(python3 -c "print(round($(date +%s.%N)-$start,2))") s"
  for mode in prepared simple; do
    local c0=$(awk '{print $14+$15}' /proc/$3/stat)
    local out=$("$PGB" -h 127.0.0.1 -p "$2" -U "${PGUSER:-themis}" -S -M $mode -c 8 -j 2 -T "$T" "${PGDATABASE:-themis}" 2>&1)
    local c1=$(awk '{print $14+$15}' /proc/$3/stat)
    local tx=$(echo "$out" | grep -oP 'processed: \K[0-9]+')
    local tps=$(echo "$out" | grep -oP 'tps = \K[0-9.]+' | head -1)
    echo "$1 -S -M $mode: tps=$tps cpu_us_per_tx=$(python3 -c "print(round(($c1-$c0)*10000/max(1,$tx),1))")"
  done
}
run themisd "$PORT" "$PID"
if [[ -n "${PG_REF_PORT:-}" && -n "${PG_REF_PID:-}" ]]; then
  run postgres "$PG_REF_PORT" "$PG_REF_PID"
fi
