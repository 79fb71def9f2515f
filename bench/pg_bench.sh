#!/usr/bin/env bash
# pgbench against themisd and a PostgreSQL 15 that this script starts (initdb
# into a temp dir as user postgres), in the same run, on the same cores:
# `pgbench -i -s 1` on both, then the default TPC-B-like script at -c4 and
# -c8, and select-only (-S) with -M simple and -M prepared. Prints tps, the
# themisd/PostgreSQL ratio and each server's CPU µs per transaction from
# /proc (utime + stime; for PostgreSQL the postmaster, its live children and
# the reaped ones: its backends are processes).
#
# Usage: bench/pg_bench.sh [seconds per run, default 10] [durability]
#   durability: relaxed (default) — themisd engine.synchronous=normal and
#     PostgreSQL synchronous_commit=off: neither waits for fsync at commit,
#     both stay consistent after a crash;
#   durable — themisd engine.synchronous=full and PostgreSQL's defaults
#     (every commit waits for its fsync; both group concurrent commits).
# Environment: THEMISD (binary), PG_BIN (PostgreSQL bin dir), CLIENTS_J
# (pgbench -j, default 2), WORKLOADS (default "tpcb4 tpcb8 simple prepared").
set -euo pipefail
T=${1:-10}
DUR=${2:-relaxed}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${THEMISD:-$HERE/../build/themisd}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null ||
  dirname "$(ls /usr/lib/postgresql/*/bin/postgres | head -1)")}
PGB=$PG_BIN/pgbench
[[ -x $PGB ]] || PGB=$(command -v pgbench)
J=${CLIENTS_J:-2}
WORKLOADS=${WORKLOADS:-"tpcb4 tpcb8 simple prepared"}
DIR=$(mktemp -d /tmp/pg_bench.XXXXXX)
chmod 755 "$DIR"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
TPORT=$(free_port)
PPORT=$(free_port)
case $DUR in
  relaxed) TSYNC=normal PGSYNC=off ;;
  durable) TSYNC=full PGSYNC=on ;;
  *) echo "durability: relaxed or durable" >&2; exit 2 ;;
esac

TPID=
cleanup() {
  [[ -n $TPID ]] && kill "$TPID" 2>/dev/null || true
  if [[ -f $DIR/pg/postmaster.pid ]]; then
    su postgres -c "$PG_BIN/pg_ctl -D $DIR/pg -m immediate stop" >/dev/null 2>&1 || true
  fi
  [[ -n ${KEEP:-} ]] || rm -rf "$DIR"
}
trap cleanup EXIT

# -- PostgreSQL 15: a private cluster -------------------------------------
as_pg() { if [[ $(id -u) == 0 ]]; then su postgres -c "$1"; else bash -c "$1"; fi; }
mkdir -p "$DIR/pg"
[[ $(id -u) == 0 ]] && chown postgres "$DIR/pg"
as_pg "$PG_BIN/initdb -D $DIR/pg -A trust -U postgres >/dev/null"
as_pg "$PG_BIN/pg_ctl -D $DIR/pg -w -l $DIR/pg/server.log -o \"-p $PPORT -k $DIR/pg \
-c listen_addresses=127.0.0.1 -c synchronous_commit=$PGSYNC\" start >/dev/null"
PPID_PG=$(head -1 "$DIR/pg/postmaster.pid")

# -- themisd ----------------------------------------------------------------
"$BIN" --data-dir "$DIR/themis" --http-port 0 --pg-port "$TPORT" \
  --set engine.synchronous=$TSYNC >"$DIR/themisd.log" 2>&1 &
TPID=$!
for _ in $(seq 100); do
  python3 -c "import socket;socket.create_connection(('127.0.0.1',$TPORT),1)" \
    2>/dev/null && break
  sleep 0.1
done

# CPU ticks (1/100 s) of a server: its own time, its reaped children's, and
# its live children's (PostgreSQL's backends and background processes).
cpu() {
  python3 - "$1" <<'EOF'
import os, sys
pid = sys.argv[1]
def stat(p):
    with open(f"/proc/{p}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
s = stat(pid)
total = int(s[11]) + int(s[12]) + int(s[13]) + int(s[14])
for p in os.listdir("/proc"):
    if p.isdigit() and p != pid:
        try:
            c = stat(p)
        except OSError:
            continue
        if c[1] == pid:
            total += int(c[11]) + int(c[12])
print(total)
EOF
}
pyr() { python3 -c "print($1)"; }

declare -A TPS CPU
bench() { # label name port pid user password db args...
  local label=$1 name=$2 port=$3 pid=$4 user=$5 pw=$6 db=$7
  shift 7
  export PGPASSWORD=$pw
  local c0 c1 out tx tps
  c0=$(cpu "$pid")
  out=$(timeout $((T + 60)) "$PGB" -h 127.0.0.1 -p "$port" -U "$user" -j "$J" \
    -T "$T" "$@" "$db" 2>&1) || { echo "$name $label: pgbench failed:"; echo "$out" | tail -5; }
  sleep 0.3 # PostgreSQL's backends exit and are reaped into its child time
  c1=$(cpu "$pid")
  tx=$(echo "$out" | grep -oP 'processed: \K[0-9]+' || echo 0)
  tps=$(echo "$out" | grep -oP 'tps = \K[0-9.]+' | head -1 || echo 0)
  TPS[$name.$label]=${tps:-0}
  CPU[$name.$label]=$(pyr "round(($c1-$c0)*10000/max(1,${tx:-0}),1)")
}

init() { # name port user password db
  export PGPASSWORD=$4
  local t0 out
  t0=$(date +%s.%N)
  if ! out=$(timeout 300 "$PGB" -h 127.0.0.1 -p "$2" -U "$3" -i -q -s 1 "$5" 2>&1); then
    echo "$1: pgbench -i -s 1 failed:"
    echo "$out" | tail -5
    exit 1
  fi
  echo "$1 pgbench -i -s 1: $(pyr "round($(date +%s.%N)-$t0,2)") s"
}

init themisd "$TPORT" themis themis themis
init postgres "$PPORT" postgres "" postgres

echo "durability=$DUR T=${T}s pgbench -j $J; themisd $(basename "$BIN") pid $TPID," \
  "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') pid $PPID_PG"
n=0
for w in $WORKLOADS; do
  case $w in
    tpcb4) args=(-c 4) ;;
    tpcb8) args=(-c 8) ;;
    simple) args=(-S -M simple -c 8) ;;
    prepared) args=(-S -M prepared -c 8) ;;
    *) echo "unknown workload $w" >&2; exit 2 ;;
  esac
  # alternate which server goes first, so neither always runs first
  if ((n++ % 2 == 0)); then
    bench "$w" themisd "$TPORT" "$TPID" themis themis themis "${args[@]}"
    bench "$w" postgres "$PPORT" "$PPID_PG" postgres "" postgres "${args[@]}"
  else
    bench "$w" postgres "$PPORT" "$PPID_PG" postgres "" postgres "${args[@]}"
    bench "$w" themisd "$TPORT" "$TPID" themis themis themis "${args[@]}"
  fi
done

printf '\n%-30s %10s %10s %7s %12s %12s\n' workload themisd_tps pg_tps ratio \
  themis_us/tx pg_us/tx
for w in $WORKLOADS; do
  case $w in
    tpcb4) d="TPC-B-like -c4" ;;
    tpcb8) d="TPC-B-like -c8" ;;
    simple) d="-S -M simple -c8" ;;
    prepared) d="-S -M prepared -c8" ;;
  esac
  t=${TPS[themisd.$w]} p=${TPS[postgres.$w]}
  printf '%-30s %10.0f %10.0f %6.2fx %12s %12s\n' "$d" "$t" "$p" \
    "$(pyr "$t/max(1e-9,$p)")" "${CPU[themisd.$w]}" "${CPU[postgres.$w]}"
done
