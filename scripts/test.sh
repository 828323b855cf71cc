#!/usr/bin/env bash
# The whole check, from a fresh clone: install, generated-code freshness, lint, types, tests.
# Every set-up step is here, so a new machine needs nothing but Node 20 and Debian's apt.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "system packages"
bash scripts/setup-system.sh

step "npm dependencies"
# npm ci when node_modules does not match package-lock.json (always, on a fresh clone).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.delineate-lock 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_sum" > node_modules/.delineate-lock
else
  echo "node_modules matches package-lock.json"
fi

step "proto lint and generated code"
npx buf lint
bash scripts/check-generated.sh

step "lint and format"
npx eslint .
npx prettier --check .

step "typecheck and build"
rm -rf dist
npx tsc -p .
npm run build:web

step "tests"
# One file at a time: 2 cores, and several tests time heartbeats.
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
node --test --test-reporter=spec --test-concurrency=1 --test-timeout=120000 "${files[@]}"
