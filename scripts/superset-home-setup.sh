#!/usr/bin/env bash
# Prepare Apache Superset's metadata database for tests/compat/test_superset.py once: its schema
# (`superset db upgrade`, about a minute), an admin user and the built-in roles (`superset
# init`). The test copies .tools/superset-home/superset.db and runs on the copy. Idempotent:
# a stamp file marks a finished setup. Quiet on success; on failure prints the log and exits 1.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="$repo/.tools/superset-home"
bin="$repo/.tools/superset-venv/bin"
[[ -f "$home/.done" ]] && exit 0
mkdir -p "$home"
rm -f "$home/superset.db"
cat >"$home/superset_config.py" <<PY
# Test-only settings: a throwaway secret, the metadata database beside this file.
SECRET_KEY = "pgbridge-compat-tests-only-not-a-secret"
SQLALCHEMY_DATABASE_URI = "sqlite:///$home/superset.db"
WTF_CSRF_ENABLED = False
PY
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export SUPERSET_CONFIG_PATH="$home/superset_config.py" FLASK_APP=superset
{
  "$bin/superset" db upgrade &&
  "$bin/superset" fab create-admin --username admin --firstname Admin --lastname User \
      --email admin@example.invalid --password admin &&
  "$bin/superset" init
} >"$log" 2>&1 || { echo "superset-home-setup failed; log follows" >&2; cat "$log" >&2; exit 1; }
touch "$home/.done"
