#!/usr/bin/env bash
# The BigQuery emulator for tests/bigquery and tests/e2e, in its own virtual environment
# (.tools/bqemulator-venv). Run by scripts/install-test-deps.sh; idempotent and quiet.
set -euo pipefail
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bqemulator-setup.sh"
