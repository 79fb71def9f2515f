#!/usr/bin/env bash
# Runs every test (unit, actor and integration) through ctest, after
# installing what is missing and building (scripts/setup.sh), so it works
# on a fresh checkout on its own. Extra arguments go to ctest
# (e.g. ./scripts/test.sh -R mqtt).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# npm clients the tests drive (tests/node: pg, knex, Sequelize, TypeORM),
# pinned by package-lock.json; installed again only when the lock changed
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
fi
if [ ! -f tests/node/node_modules/.package-lock.json ] ||
   [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi
BUILD_DIR=${BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure -j "${JOBS:-2}" --timeout 600 "$@"
