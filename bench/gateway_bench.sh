#!/usr/bin/env bash
# Gateway proxy overhead (issue 23; a benchmark, not a test; numbers in
# docs/gateway.md). One nginx serves a small fixed answer (the upstream);
# wrk drives, in the same run: the upstream directly, nginx as a reverse
# proxy to it (keep-alive upstream pool, 1 worker), and themisd's gateway
# forwarding to it (1 I/O + 1 scheduler thread on this 2-core box).
# Prints requests/s, the ratio to nginx-as-proxy, and the proxy's CPU µs per
# request from /proc/PID/stat (utime+stime; the upstream's CPU not counted).
#
#   bench/gateway_bench.sh [seconds, default 10] [connections, default 16]
# Needs: build/themisd (or THEMISD=…), wrk, nginx (Debian nginx-light), curl.
set -euo pipefail
D=${1:-10}
C=${2:-16}
source "$(dirname "$0")/lib.sh"
NGX_PIDS=()
cleanup_nginx() {
  for p in "${NGX_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  bench_cleanup
}
trap cleanup_nginx EXIT

ORIGIN=$(port)
PROXY=$(port)
start_nginx() { # name, server block
  local dir=$TMP/nginx_$1
  mkdir -p "$dir/logs" "$dir/tmp"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
user root;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  $2
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" &
  NGX_PIDS+=($!)
}
start_nginx origin "server { listen 127.0.0.1:$ORIGIN; keepalive_requests 1000000;
    location / { default_type text/plain; return 200 'hello from the upstream\n'; } }"
start_nginx proxy "upstream origin { server 127.0.0.1:$ORIGIN; keepalive 64; }
  server { listen 127.0.0.1:$PROXY; keepalive_requests 1000000;
    location / { proxy_pass http://origin; proxy_http_version 1.1;
      proxy_set_header Connection \"\"; } }"

cat >"$TMP/gateway.yaml" <<YAML
clusters:
  - name: origin
    endpoints: ["127.0.0.1:$ORIGIN"]
    max_idle_per_endpoint: 64
routes:
  - name: bench
    match: {prefix: /bench}
    forward: {cluster: origin, retries: 0}
YAML
start_themisd --set gateway.file="$TMP/gateway.yaml"
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$PROXY/bench" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$BASE/bench" | grep -q hello

# the proxy's worker: nginx's master forks it; the child of the master
ngx_worker() { pgrep -P "$1" | head -1; }
PROXY_WORKER=$(ngx_worker "${NGX_PIDS[1]}")

wrk_run() { # name, url, pid-to-measure (or "")
  local name=$1 url=$2 pid=$3 before after out rps n
  before=0
  [[ -n $pid ]] && before=$(cpu_ticks "$pid")
  out=$(wrk -t2 -c"$C" -d"${D}s" "$url" 2>&1)
  after=0
  [[ -n $pid ]] && after=$(cpu_ticks "$pid")
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$name: non-2xx answers" >&2
    echo "$out" >&2
  fi
  awk -v n="$n" -v t=$((after - before)) -v clk="$CLK" -v name="$name" \
    -v rps="$rps" -v pid="$pid" 'BEGIN {
      cpu = pid == "" ? "      -" : sprintf("%7.1f", t / clk * 1e6 / n);
      printf "%-34s %10.0f req/s  %s µs proxy CPU/req\n", name, rps, cpu }'
  echo "$rps" >"$TMP/rps_$4"
}
echo "wrk -t2 -c$C -d${D}s, same run:"
wrk_run "upstream directly (nginx)" "http://127.0.0.1:$ORIGIN/bench" "" direct
wrk_run "nginx reverse proxy -> upstream" "http://127.0.0.1:$PROXY/bench" \
  "$PROXY_WORKER" nginx
wrk_run "themisd gateway -> upstream" "$BASE/bench" "$TPID" themisd
awk -v a="$(cat "$TMP/rps_themisd")" -v b="$(cat "$TMP/rps_nginx")" \
  -v d="$(cat "$TMP/rps_direct")" 'BEGIN {
    printf "themisd / nginx-as-proxy: %.2fx   themisd / direct: %.2fx\n",
           a / b, a / d }'
