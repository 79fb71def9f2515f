#!/bin/sh
# Vector search benchmark (issue 32; not a test): the HNSW index against
# exact brute force on generated data, and the HTTP path end to end.
#   bench/vector_bench.sh [n] [dim] [queries]      (default 100000 128 1000)
# Needs a build (build/bench/vector_bench, build/themisd). Numbers go to
# docs/vector.md.
set -eu
cd "$(dirname "$0")/.."
N=${1:-100000}
DIM=${2:-128}
Q=${3:-1000}
BIN=build/bench/vector_bench
[ -x "$BIN" ] || { echo "build first: cmake --build build --target vector_bench" >&2; exit 1; }
echo "== index alone, gaussian data"
"$BIN" "$N" "$DIM" "$Q" 16 200 32,64,128,256 gaussian
echo "== index alone, clustered data (100 clusters)"
"$BIN" "$N" "$DIM" "$Q" 16 200 32,64,128,256 clustered
echo "== HTTP: /vector/search through themisd"
python3 bench/vector_http_bench.py "${HTTP_N:-20000}" "$DIM" "${HTTP_Q:-500}"
echo "== HTTP: /search/fulltext through themisd"
python3 bench/fts_bench.py "${FTS_N:-20000}" "${FTS_Q:-500}"
