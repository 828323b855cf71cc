#!/usr/bin/env bash
# Debian packages the tests use; installed only when missing.
set -euo pipefail
need=()
# (packages are added here as tests come to need them, e.g. prometheus, chromium)
# prometheus: /usr/bin/prometheus and promtool for the alert-rule and scrape tests (test/observability).
command -v promtool >/dev/null && command -v prometheus >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
echo "system packages ready"
