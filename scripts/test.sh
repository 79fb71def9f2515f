#!/usr/bin/env bash
# Runs every test (unit, actor and integration) through ctest, after
# installing what is missing and building (scripts/setup.sh), so it works
# on a fresh checkout on its own. Extra arguments go to ctest
# (e.g. ./scripts/test.sh -R mqtt).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure -j "${JOBS:-2}" --timeout 600 "$@"
