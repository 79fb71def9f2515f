#!/usr/bin/env bash
# Change-log append strategies on a PostgreSQL 15 that this script starts
# (initdb into a temp dir, a free loopback port, stopped and removed at the
# end): for each strategy and writer count, bench/pg_changelog_bench.py
# prints commits/s, p50/p99 commit latency (ms) and what the polling reader
# saw (reader_skips must be 0 and the log dense for every strategy but the
# 'seq' control, which should show skips; the script exits 1 otherwise).
# See docs/design/postgres-backend.md.
#
# Usage: bench/pg_changelog_bench.sh [seconds per run, default 5] [durability]
#   durability: durable (default) — synchronous_commit=on, fsync on (every
#     commit waits for its WAL flush); relaxed — synchronous_commit=off.
# Environment: PG_BIN (PostgreSQL bin dir), STRATEGIES (default "a a_rt ab abf b seq"),
#   WRITERS (default "1 4 16"), NODES (ab, abf: node writers, default 2),
#   ROUNDS (default 1: the whole matrix again, interleaved, so a shared
#   disk's changing fsync time hits every strategy alike; summarise with
#   bench/pg_changelog_summary.py).
set -euo pipefail
T=${1:-5}
DUR=${2:-durable}
HERE=$(cd "$(dirname "$0")" && pwd)
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null ||
  dirname "$(ls /usr/lib/postgresql/*/bin/postgres | head -1)")}
STRATEGIES=${STRATEGIES:-"a a_rt ab abf b seq"}
WRITERS=${WRITERS:-"1 4 16"}
case $DUR in
  durable) PGSYNC=on ;;
  relaxed) PGSYNC=off ;;
  *) echo "durability: durable or relaxed" >&2; exit 2 ;;
esac
DIR=$(mktemp -d /tmp/pg_changelog_bench.XXXXXX)
chmod 755 "$DIR"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

as_pg() { if [[ $(id -u) == 0 ]]; then su postgres -c "$1"; else bash -c "$1"; fi; }
cleanup() {
  if [[ -f $DIR/pg/postmaster.pid ]]; then
    as_pg "$PG_BIN/pg_ctl -D $DIR/pg -m fast stop" >/dev/null 2>&1 || true
  fi
  [[ -n ${KEEP:-} ]] || rm -rf "$DIR"
}
trap cleanup EXIT

mkdir -p "$DIR/pg"
[[ $(id -u) == 0 ]] && chown postgres "$DIR/pg"
as_pg "$PG_BIN/initdb -D $DIR/pg -A trust -U postgres >/dev/null"
as_pg "$PG_BIN/pg_ctl -D $DIR/pg -w -l $DIR/pg/server.log -o \"-p $PORT -k $DIR/pg \
-c listen_addresses=127.0.0.1 -c synchronous_commit=$PGSYNC -c max_connections=50\" start >/dev/null"
FAILED=
DSN="host=127.0.0.1 port=$PORT user=postgres dbname=postgres"
echo "# PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), synchronous_commit=$PGSYNC, ${T}s per run, $(nproc) cores"
for r in $(seq "${ROUNDS:-1}"); do
for s in $STRATEGIES; do
  for w in $WRITERS; do
    /usr/bin/python3 "$HERE/pg_changelog_bench.py" --dsn "$DSN" --strategy "$s" \
      --writers "$w" --seconds "$T" --nodes "${NODES:-2}" || FAILED="$FAILED $s/$w"
  done
done
done
if [[ -n $FAILED ]]; then
  echo "# FAILED (skips, holes or errors):$FAILED" >&2
  exit 1
fi
