#!/usr/bin/env bash
# The programs agents, BI users and DBAs run, driven by tests/compat (issue 12), each installed
# where its pins cannot disturb pgbridge's: pgcli, LangChain and Apache Superset in virtual
# environments of their own (scripts/tool-venv-setup.sh); postgres-mcp, which needs Python
# 3.12, in one made with the machine's Python 3.12 (pyenv's, or Debian's where present); the
# reference MCP server for PostgreSQL and the MCP client SDK from npm into tests/compat/mcp.
# pg_dump comes with postgresql-client (scripts/install-test-deps.sh); ADBC and hypothesis
# are in the `test` extra. Idempotent; silent when all is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
setup=scripts/tool-venv-setup.sh

$setup pgcli "pgcli==4.7.1"
$setup langchain "langchain-community==0.4.2" "sqlalchemy>=2.0" "psycopg2-binary>=2.9"
# Superset 6.1.0 imports rich (its CLI) and cachetools (its engine specs) without requiring
# them, and fails with Flask-Caching 2.4+ (an argument its metastore cache does not take).
$setup superset "apache-superset==6.1.0" "psycopg2-binary>=2.9" "rich" "cachetools" "flask-caching<2.4"
scripts/superset-home-setup.sh

# postgres-mcp pins pglast==7.2.0, which the registry does not serve; 7.2x is the same major
# release (libpg_query 17), so its other requirements are installed with that one and the
# package itself without its pins.
python312="$(command -v python3.12 || ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | tail -1 || true)"
[ -n "$python312" ] || { echo "tools.sh: postgres-mcp needs Python 3.12, none found" >&2; exit 1; }
PYTHON="$python312" $setup postgres-mcp "attrs>=25.3" "humanize>=4.8" "instructor>=1.7.9" \
    "mcp[cli]>=1.5,<2" "pglast>=7.20,<8" "psycopg-pool>=3.2.6" "psycopg[binary]>=3.2.6"
if ! .tools/postgres-mcp-venv/bin/python -c "import postgres_mcp" >/dev/null 2>&1; then
  .tools/postgres-mcp-venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
      "postgres-mcp==0.3.0"
fi

mcp_dir=tests/compat/mcp
if [ ! -f "$mcp_dir/node_modules/@modelcontextprotocol/server-postgres/package.json" ]; then
  (cd "$mcp_dir" && npm install --silent --no-audit --no-fund >/dev/null)
fi
exit 0
