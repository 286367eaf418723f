#!/usr/bin/env bash
# The browser the console and report tests drive (tests/admin, tests/audit/test_report*):
# Debian's headless-capable Chromium and its matching chromedriver, reached through Selenium
# (the `test` extra) with no download of its own; DejaVu fonts so pages render the same
# everywhere. Idempotent; silent when all is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/apt-install.sh chromium chromium-driver fonts-dejavu-core
exit 0
