#!/usr/bin/env bash
# Create .tools/bqemulator-venv: the BigQuery emulator the bigquery backend's tests drive.
# It lives in its own virtual environment because its pins (sqlglot < 30.12, duckdb 1.5)
# conflict with pgbridge's. Idempotent: a stamp file records the pinned set, so a second
# run costs one file comparison. Quiet on success; on failure prints pip's log and exits 1.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.tools/bqemulator-venv"
pins=(bqemulator==1.4.0 duckdb==1.5.5 duckdb-extension-spatial==1.5.5 duckdb-extensions==1.5.5
      numpy google-cloud-bigquery google-cloud-bigquery-storage pyarrow)
stamp="$venv/.pgbridge-setup-done"
want="${pins[*]}"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/bqemulator" ]]; then
    exit 0
fi

python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { echo "bqemulator-setup: $python not found" >&2; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() { echo "bqemulator-setup: $1 failed; log follows" >&2; cat "$log" >&2; exit 1; }

mkdir -p "$repo/.tools"
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv" >"$log" 2>&1 || fail "python -m venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >"$log" 2>&1 \
    || fail "pip install"
# The spatial extension must be imported once into DuckDB's extension directory (GEOGRAPHY).
"$venv/bin/python" -c "from duckdb_extensions import import_extension; import_extension('spatial')" \
    >"$log" 2>&1 || fail "importing the DuckDB spatial extension"
echo "$want" >"$stamp"
