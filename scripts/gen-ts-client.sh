#!/bin/sh
# Generates the TypeScript client of themisd's gRPC services
# (clients/ts, @themisdb/client-grpc-web) from protos/ with Debian's protoc
# and @bufbuild/protoc-gen-es (v2: messages and service descriptors that
# @connectrpc/connect v2's createClient takes). docs/grpc.md.
#
#   scripts/gen-ts-client.sh [OUT_DIR]     default: clients/ts/src/gen
#
# PROTOC_GEN_ES overrides the plugin (default: tests/node/node_modules).
# A proto error stops it non-zero with protoc's file:line:column message.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/clients/ts/src/gen}
PLUGIN=${PROTOC_GEN_ES:-$ROOT/tests/node/node_modules/.bin/protoc-gen-es}
PROTOS_DIR=${THEMIS_PROTOS_DIR:-$ROOT/protos}
if [ ! -x "$PLUGIN" ]; then
  echo "gen-ts-client: $PLUGIN missing (npm ci in tests/node)" >&2
  exit 2
fi
command -v protoc >/dev/null || {
  echo "gen-ts-client: protoc missing (apt-get install protobuf-compiler)" >&2
  exit 2
}
# the services and what they import; google/protobuf/*.proto come from
# /usr/include and map to @bufbuild/protobuf/wkt (not generated)
FILES=$(cd "$PROTOS_DIR" && find . -name '*.proto' | sed 's|^\./||' | sort)
[ -n "$FILES" ] || { echo "gen-ts-client: no .proto under $PROTOS_DIR" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
# shellcheck disable=SC2086
protoc -I"$PROTOS_DIR" -I/usr/include \
  --plugin=protoc-gen-es="$PLUGIN" \
  --es_out="$OUT" --es_opt=target=ts,import_extension=js \
  $FILES
echo "gen-ts-client: $(find "$OUT" -name '*.ts' | wc -l) files in $OUT"
