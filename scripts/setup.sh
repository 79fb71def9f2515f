#!/usr/bin/env bash
# Installs every Debian package themis-server needs (build, tests,
# benchmarks) and builds it with Ninja and ccache. Idempotent and quick when
# nothing changed: packages are checked with dpkg before apt is called, the
# build directory is configured once (again only when BUILD_TYPE or
# THEMIS_CMAKE_ARGS are given and differ) and ninja rebuilds what changed.
# Both scripts/run.sh and scripts/test.sh call it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(grep -v '^#' scripts/packages.txt | grep -v '^$' | tr '\n' ' ')
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # mosquitto, nginx and varnish are reference servers for tests and
  # benchmarks, not services of this host: keep Debian from starting them
  # (they would hold 1883, 80 and 6081 next to themisd). policy-rc.d is
  # Debian's switch for that.
  policy=/usr/sbin/policy-rc.d
  own_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    own_policy=1
  fi
  trap 'if [ -n "$own_policy" ]; then $SUDO rm -f "$policy"; fi' EXIT
  $SUDO apt-get update -q
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $missing
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now mosquitto nginx varnish varnishncsa \
      >/dev/null 2>&1 || true
  fi
else
  echo "setup: all Debian packages present"
fi

BUILD_DIR=${BUILD_DIR:-build}
args="${BUILD_TYPE:-Release} ${THEMIS_CMAKE_ARGS:-}"
stamp="$BUILD_DIR/.themis-setup-args"
explicit=${BUILD_TYPE+x}${THEMIS_CMAKE_ARGS+x}
if [ ! -f "$BUILD_DIR/build.ninja" ] ||
   { [ -n "$explicit" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$args" ]; }; then
  # shellcheck disable=SC2086
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache ${THEMIS_CMAKE_ARGS:-}
  echo "$args" > "$stamp"
fi
# two cores, ~300 MB per heavy translation unit: two jobs fit comfortably
cmake --build "$BUILD_DIR" -j "${JOBS:-2}"
echo "setup: built $BUILD_DIR/themisd"

# The web console (console/, docs/console.md): npm ci when the lock
# changed, a Vite build into $BUILD_DIR/console (where themisd looks by
# default) when the sources or the lock are newer than the last build.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
fi
if [ ! -f console/node_modules/.package-lock.json ] ||
   [ console/package-lock.json -nt console/node_modules/.package-lock.json ]; then
  (cd console && npm ci --no-audit --no-fund --loglevel=error)
fi
console_out="$(cd "$BUILD_DIR" && pwd)/console"
if [ ! -f "$console_out/index.html" ] ||
   [ -n "$(find console/src console/index.html console/vite.config.js \
             console/package-lock.json -newer "$console_out/index.html" \
             2>/dev/null | head -n 1)" ]; then
  (cd console && THEMIS_CONSOLE_OUT="$console_out" \
    node node_modules/vite/bin/vite.js build --logLevel warn)
  echo "setup: built the console into $console_out"
fi
