#!/bin/sh
# Full-text search throughput through themisd (issue 32; not a test):
# 100,000 generated documents (30 Zipf-distributed words each from a
# 5,000-word vocabulary) in one FTS5 index, then single-word, frequent
# single-word, two-word AND, phrase and prefix queries (and one through
# SQL's themis_fulltext) one at a time: QPS, p50/p99 and themisd's CPU
# microseconds per query (/proc/PID/stat). Numbers: docs/search.md.
# usage: bench/fts_bench.sh [documents=100000] [queries per kind=1000]
set -e
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/fts_bench.py "${1:-100000}" "${2:-1000}"
