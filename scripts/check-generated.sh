#!/usr/bin/env bash
# Fails when src/gen differs from what `buf generate` makes from proto/ (generated code is committed).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx buf generate --output "$tmp"
if ! diff -r "$tmp/src/gen" src/gen >/dev/null; then
  diff -r "$tmp/src/gen" src/gen | head -40
  echo "src/gen is stale: run 'npm run gen' and commit the result." >&2
  exit 1
fi
echo "generated code is up to date"
