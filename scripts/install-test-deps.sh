#!/usr/bin/env bash
# What the test suite needs beyond Python packages: a PostgreSQL 15 server and psql for
# side-by-side comparisons, the client programs the compatibility tests drive, and the
# BigQuery emulator in its own virtual environment. Idempotent and quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
[ ${#need[@]} -eq 0 ] || scripts/apt-install.sh "${need[@]}"
for extra in scripts/install-test-deps.d/*.sh; do
  [ -e "$extra" ] && bash "$extra"
done
exit 0
