#!/usr/bin/env bash
# Run ThemisDB's own client SDKs (Python, JavaScript, Go), unchanged, against
# a fresh themisd and print one line per SDK call (PASS/FAIL).  A manual check
# for ThemisDB compatibility (docs/themisdb-compatibility.md); not part of
# ctest, and no SDK code is kept in this project.
#
# Usage: tests/sdk/run_themisdb_sdks.sh THEMISDB [THEMISD_BINARY]
#   THEMISDB        a ThemisDB checkout (with clients/) or a bare git mirror of
#                   it (the SDKs are taken from ${THEMISDB_REV:-HEAD})
#   THEMISD_BINARY  default: build/themisd of this project
# Needs: /usr/bin/python3 with httpx (Debian python3-httpx), node >= 18 and
# npm (fetches typescript@5.5.4 and @types/node@20 into a scratch dir, or
# reuses $THEMIS_SDK_TSC_DIR), go (Debian golang-go; builds with GOPROXY=off).
# Set SDKS="python js go" to choose.  Exit status: number of failed calls.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: $0 THEMISDB_CHECKOUT_OR_MIRROR [THEMISD_BINARY]}
bin=${2:-$here/../../build/themisd}
sdks=${SDKS:-python js go}
work=$(mktemp -d /tmp/themisdb-sdks.XXXXXX)
data=$(mktemp -d /tmp/themisd-sdk-data.XXXXXX)
pid=

cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$data"
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# 1. The SDKs, unchanged.
if [ -d "$src/clients/python" ]; then
  cp -r "$src/clients" "$work/clients"
  rev=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo checkout)
else
  git -C "$src" archive "${THEMISDB_REV:-HEAD}" clients/python clients/javascript clients/go \
    | tar -x -C "$work" || { echo "cannot export clients/ from $src" >&2; exit 100; }
  rev=$(git -C "$src" rev-parse --short "${THEMISDB_REV:-HEAD}" 2>/dev/null)
fi
echo "# ThemisDB SDKs from $src ($rev), exported to $work/clients"

# 2. A themisd on free loopback ports, open default (no auth).
read -r hp pp mp < <(/usr/bin/python3 -c '
import socket
ss=[socket.socket() for _ in range(3)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')
"$bin" --http-port "$hp" --pg-port "$pp" --mqtt-port "$mp" --data-dir "$data" \
  --bind 127.0.0.1 >"$work/themisd.log" 2>&1 &
pid=$!
base=http://127.0.0.1:$hp
for _ in $(seq 50); do
  /usr/bin/python3 -c "import urllib.request,sys; urllib.request.urlopen('$base/health',timeout=1)" 2>/dev/null && break
  sleep 0.2
done
echo "# themisd $("$bin" --version 2>/dev/null) pid $pid on $base (log $work/themisd.log)"

fails=0
for sdk in $sdks; do
  case $sdk in
  python)
    /usr/bin/python3 "$here/python_driver.py" "$work/clients/python" "$base"
    fails=$((fails + $?)) ;;
  js)
    tscdir=${THEMIS_SDK_TSC_DIR:-$work/tsc}
    if [ ! -x "$tscdir/node_modules/.bin/tsc" ]; then
      mkdir -p "$tscdir"
      (cd "$tscdir" && npm init -y >/dev/null &&
        npm install --no-audit --no-fund typescript@5.5.4 @types/node@20 >/dev/null) ||
        { echo "js: FAIL cannot install typescript"; fails=$((fails + 1)); continue; }
    fi
    # The SDK's own tsconfig, unchanged: it emits to clients/javascript/dist,
    # where the SDK's package.json ("type": "module") applies.
    if ! "$tscdir/node_modules/.bin/tsc" -p "$work/clients/javascript/tsconfig.json" \
         --typeRoots "$tscdir/node_modules/@types"; then
      echo "js build: FAIL tsc"; fails=$((fails + 1)); continue
    fi
    node "$here/js_driver.mjs" "$work/clients/javascript/dist/index.js" "$base"
    fails=$((fails + $?)) ;;
  go)
    mkdir -p "$work/clients/go/cmd/themisd-check"
    cp "$here/go_driver/main.go" "$work/clients/go/cmd/themisd-check/main.go"
    (cd "$work/clients/go" && GOFLAGS=-mod=mod GOPROXY=off go run ./cmd/themisd-check "$base")
    fails=$((fails + $?)) ;;
  *) echo "unknown SDK $sdk" >&2 ;;
  esac
done
echo "# total failed calls: $fails"
exit $((fails > 100 ? 100 : fails))
