#!/usr/bin/env bash
# Installs every Debian package themis-server needs (build, tests, benchmarks)
# and builds it in Release with Ninja and ccache. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=$(grep -v '^#' scripts/packages.txt | grep -v '^$' | tr '\n' ' ')
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  # shellcheck disable=SC2086
  $SUDO apt-get install -y --no-install-recommends $missing
else
  echo "setup: all Debian packages present"
fi

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache ${THEMIS_CMAKE_ARGS:-}
# two cores, ~300 MB per heavy translation unit: two jobs fit comfortably
cmake --build "$BUILD_DIR" -j "${JOBS:-2}"
echo "setup: built $BUILD_DIR/themisd"
