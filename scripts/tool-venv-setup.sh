#!/usr/bin/env bash
# Create .tools/NAME-venv holding one client program that tests/compat drives (pgcli,
# postgres-mcp, LangChain, Superset): each in a virtual environment of its own, because their
# pins (sqlparse, psycopg, SQLAlchemy, pandas, ...) conflict with pgbridge's and with each
# other's. Usage: tool-venv-setup.sh NAME PIN [PIN ...]. Idempotent: a stamp file records the
# pinned set, so a second run costs one file comparison. Quiet on success; on failure prints
# pip's log and exits 1.
set -euo pipefail

name="$1"; shift
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.tools/$name-venv"
stamp="$venv/.pgbridge-setup-done"
want="$*"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
    exit 0
fi

python="${PYTHON:-python3}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() { echo "tool-venv-setup $name: $1 failed; log follows" >&2; cat "$log" >&2; exit 1; }

mkdir -p "$repo/.tools"
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv" >"$log" 2>&1 || fail "python -m venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >"$log" 2>&1 \
    || fail "pip install"
echo "$want" >"$stamp"
