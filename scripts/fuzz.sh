#!/usr/bin/env bash
# Runs libFuzzer targets with their dictionary and committed corpus:
#
#   scripts/fuzz.sh [target|all] [seconds]     (default: all, 600 s each)
#
# Targets: sql aql json mqtt http2 websocket http1 pgwire compression jwt,
# one at a time (the machine is shared: nice, one build job). Builds
# $BUILD_DIR (default build-fuzz; clang, -DTHEMIS_FUZZ=ON) if it is missing.
# New inputs go to a scratch directory; afterwards only those that add
# coverage, and are at most FUZZ_KEEP_MAX_BYTES (8192) long, are merged
# into tests/fuzz/corpus/<target> (-merge=1), so the committed corpus stays
# small. Crashes, leaks and timeouts are written to
# $BUILD_DIR/artifacts/<target>/ and the run's log to
# $BUILD_DIR/fuzz_<target>.log; the last lines of each log are the stats.
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=1 -rss_limit_mb=4096" …
set -uo pipefail
cd "$(dirname "$0")/.."

all="sql aql json mqtt http2 websocket http1 pgwire compression jwt"
target=${1:-all}
seconds=${2:-600}
BUILD_DIR=${BUILD_DIR:-build-fuzz}
if [ "$target" = all ]; then targets=$all; else targets=$target; fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CXX=${CXX:-clang++} CC=${CC:-clang} cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DTHEMIS_FUZZ=ON || exit 1
fi
# shellcheck disable=SC2046
nice -n 10 cmake --build "$BUILD_DIR" -j "${JOBS:-1}" \
  --target $(printf 'fuzz_%s ' $targets) || exit 1

failed=""
for t in $targets; do
  corpus=tests/fuzz/corpus/$t
  mkdir -p "$corpus"
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")
  artifacts=$BUILD_DIR/artifacts/$t/
  mkdir -p "$artifacts"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/themis-fuzz-$t.XXXXXX")
  log=$BUILD_DIR/fuzz_$t.log
  echo "fuzz: $t for ${seconds}s (log $log)"
  # the first directory receives new inputs; the committed one is read only
  # shellcheck disable=SC2086
  nice -n 10 "$BUILD_DIR/tests/fuzz_$t" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts" ${FUZZ_FLAGS:-} \
    "$scratch" "$corpus" >"$log" 2>&1
  rc=$?
  grep -E '^#[0-9]+ +DONE|^Done [0-9]+ runs' "$log" || tail -n 3 "$log"
  if [ $rc -ne 0 ]; then
    failed="$failed $t"
    echo "fuzz: $t FAILED (exit $rc): see $log and $artifacts"
    echo "  minimize: $BUILD_DIR/tests/fuzz_$t -minimize_crash=1 -runs=10000 <artifact>"
  fi
  # keep only the new inputs that add coverage to the committed corpus,
  # and no big ones: the hand-made seeds already carry the extremes
  find "$scratch" -type f -size +"${FUZZ_KEEP_MAX_BYTES:-8192}"c -delete
  before=$(find "$corpus" -type f | wc -l)
  nice -n 10 "$BUILD_DIR/tests/fuzz_$t" "${dict[@]}" -merge=1 -timeout=10 \
    "$corpus" "$scratch" >>"$log" 2>&1
  echo "fuzz: $t corpus $before -> $(find "$corpus" -type f | wc -l) inputs"
  rm -rf "$scratch"
done
if [ -n "$failed" ]; then
  echo "fuzz: failures in:$failed"
  exit 1
fi
