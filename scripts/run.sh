#!/usr/bin/env bash
# Starts themisd in the foreground on the embedded SQLite default, after
# installing what is missing and building (scripts/setup.sh), so it works
# on a fresh checkout on its own. Arguments go to themisd
# (./scripts/run.sh --help lists them); data lives in ./data unless
# --data-dir says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
# the build's progress goes to stderr: stdout stays themisd's
./scripts/setup.sh >&2
BUILD_DIR=${BUILD_DIR:-build}
cat >&2 <<'MSG'
run: starting themisd (Ctrl-C stops it). Docs: README.md and docs/
     (docs/configuration.md for every key and flag, docs/operations.md).
     Authentication is off and themisd listens on loopback only. First
     admin credential: stop themisd, run `build/themisctl init --data-dir
     data`, start with THEMIS_AUTH_REQUIRED=true (docs/security.md,
     "Turning it on").
MSG
exec "$BUILD_DIR/themisd" "$@"
