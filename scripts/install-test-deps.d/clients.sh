#!/usr/bin/env bash
# The client programs tests/compat drives against a running gateway: pgjdbc (Debian's
# libpostgresql-jdbc-java, run with the installed JDK), psqlODBC with unixODBC (reached through
# pyodbc), and node-postgres (npm, into tests/compat/node). Idempotent; silent when all is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
need=(libpostgresql-jdbc-java odbc-postgresql unixodbc)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
scripts/apt-install.sh "${need[@]}"
if ! .venv/bin/python -c "import pyodbc" >/dev/null 2>&1; then
  .venv/bin/python -m pip install --quiet "pyodbc>=5"
fi
node_dir=tests/compat/node
if [ ! -f "$node_dir/node_modules/pg/package.json" ]; then
  (cd "$node_dir" && npm install --silent --no-audit --no-fund >/dev/null)
fi
exit 0
