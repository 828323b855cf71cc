#!/usr/bin/env bash
# Debian packages the tests use; installed only when missing.
set -euo pipefail
need=()
# One line per package, with the test that needs it.
command -v openssl >/dev/null || need+=(openssl) # TLS tests: scripts/dev-certs.sh
# chromium: the browser test (test/clients/web-page.test.ts) drives it headless with playwright-core.
[ -x /usr/bin/chromium ] || need+=(chromium)
# prometheus: /usr/bin/prometheus and promtool for the alert-rule and scrape tests (test/observability).
command -v promtool >/dev/null && command -v prometheus >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
echo "system packages ready"
