#!/usr/bin/env bash
# A local certificate authority and certificates signed by it, for
# development and the tests: a server certificate for localhost /
# 127.0.0.1 / ::1 (plus extra names), a second one for SNI tests, and a
# client certificate for mutual TLS. Never use these in production.
# Usage: scripts/dev-certs.sh DIR [extra DNS names…]
set -euo pipefail
DIR=${1:?usage: dev-certs.sh DIR [names...]}
shift || true
mkdir -p "$DIR"
cd "$DIR"
days=825
subj() { echo "/O=themis-server dev/CN=$1"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout ca.key -out ca.crt -days "$days" -subj "$(subj 'themis dev CA')" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# server.crt: localhost and the loopback addresses, plus extra names
sans="DNS:localhost,IP:127.0.0.1,IP:::1"
for n in "$@"; do sans="$sans,DNS:$n"; done
issue() { # name cn sans usage
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "$(subj "$2")" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' \
    "$4" "${3:+subjectAltName=$3}" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out "$1.crt" -days "$days" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server localhost "$sans" serverAuth
issue other other.test "DNS:other.test" serverAuth
issue client device-42 "" clientAuth
chmod 600 ./*.key
echo "CA: $DIR/ca.crt  server: $DIR/server.crt $DIR/server.key  client: $DIR/client.crt $DIR/client.key"
