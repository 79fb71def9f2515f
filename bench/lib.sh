# Shared parts of the h2load benchmarks (sourced, not run): a free port,
# themisd started on a temporary data directory, server CPU ticks from
# /proc/<pid>/stat, and one h2load run printed as requests/s and themisd
# CPU µs per request. Callers set N (requests) and C (connections).
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
THEMISD=${THEMISD:-$ROOT/build/themisd}
TMP=$(mktemp -d /tmp/themis_bench.XXXXXX)
TPID=
bench_cleanup() {
  [[ -n $TPID ]] && kill "$TPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap bench_cleanup EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
CLK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# start_themisd [extra flags…]: sets TPID, HTTP, PG and BASE; waits until
# ready
start_themisd() {
  HTTP=$(port)
  PG=$(port)
  "$THEMISD" --data-dir "$TMP/data" --http-port "$HTTP" --pg-port "$PG" \
    --mqtt-port 0 --bind 127.0.0.1 --log-level warn "$@" >"$TMP/themisd.log" 2>&1 &
  TPID=$!
  BASE="http://127.0.0.1:$HTTP"
  for _ in $(seq 150); do
    curl -fs "$BASE/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "themisd did not become ready" >&2
  cat "$TMP/themisd.log" >&2
  return 1
}

# run NAME [h2load args…] URL: one h2load (HTTP/1.1) run against themisd
run() {
  local name=$1
  shift
  local before after out rps ok
  before=$(cpu_ticks "$TPID")
  out=$(h2load --h1 -n "$N" -c "$C" "$@" 2>&1)
  after=$(cpu_ticks "$TPID")
  rps=$(echo "$out" | awk '/^finished in/ {print $4}')
  ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  awk -v n="$N" -v t=$((after - before)) -v clk="$CLK" -v name="$name" \
    -v rps="$rps" -v ok="$ok" 'BEGIN {
      printf "%-40s %10s req/s  %7.1f µs CPU/req  (2xx %s)\n", name, rps,
             t / clk * 1e6 / n, ok }'
}
