#!/usr/bin/env bash
# Development TLS certificates (never committed; docker/certs/ is git-ignored):
#   ca.crt/ca.key          a throw-away CA
#   server.crt/server.key  for Envoy and the API (SANs: localhost, envoy, delineate-api, api-1, api-2, 127.0.0.1)
#   client.crt/client.key  a client certificate for mTLS (TLS_CLIENT_CA_FILE=ca.crt on the server)
# Usage: scripts/dev-certs.sh [out-dir] (default docker/certs). Existing files are replaced.
set -euo pipefail
out="${1:-$(dirname "$0")/../docker/certs}"
days="${DEV_CERT_DAYS:-30}"
mkdir -p "$out"
cd "$out"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=Delineate dev CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.crt

issue() { # name, subject CN, extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

issue server localhost "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:envoy,DNS:delineate-api,DNS:api-1,DNS:api-2,IP:127.0.0.1"
issue client delineate-dev-client "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
rm -f ca.srl
# Readable by the non-root users in the containers (uid 101 envoy, 1000 node); dev only.
chmod 644 ./*.crt ./*.key
echo "dev certificates in $(pwd)"
