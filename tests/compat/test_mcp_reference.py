"""The reference MCP server for PostgreSQL (npm `@modelcontextprotocol/server-postgres`, the
server most agent set-ups start with), driven over stdio by the MCP client SDK as an agent host
drives it (tests/compat/mcp/probe.mjs), connected as analyst: it lists the tables of `public`,
reads one table's columns and runs a query, masked and audited."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import statement_records
from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.compat

MCP_DIR = Path(__file__).parent / "mcp"
QUERY = "SELECT id, ssn, email FROM customers ORDER BY id LIMIT 2"


def _url(gateway: RunningGateway) -> str:
    token = gateway.token("ann", ("analyst",))
    return (
        f"postgresql://ann:{token}@{gateway.host}:{gateway.port}/pgbridge"
        f"?sslmode=verify-full&sslrootcert={gateway.cert}"
    )


@pytest.fixture(scope="module")
def answer(gateway: RunningGateway) -> dict[str, Any]:
    server = MCP_DIR / "node_modules" / "@modelcontextprotocol" / "server-postgres"
    assert server.is_dir(), "run scripts/install-test-deps.d/tools.sh"
    done = subprocess.run(
        ["node", "probe.mjs", _url(gateway), QUERY], cwd=MCP_DIR, capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_resources_are_the_tables_of_public(answer: dict[str, Any]) -> None:
    # It lists information_schema.tables WHERE table_schema = 'public': the default dataset.
    names = sorted(r["name"] for r in answer["resources"])
    assert names == ['"customers" database schema', '"orders" database schema', '"products" database schema']
    assert all(r["uri"].endswith("/schema") and "ann@" in r["uri"] for r in answer["resources"])


def test_reading_a_resource_gives_the_columns(answer: dict[str, Any]) -> None:
    columns = {c["column_name"]: c["data_type"] for c in answer["read"]}
    assert columns["id"] == "bigint" and columns["created_at"] == "timestamp with time zone"
    assert columns["lifetime_value"] == "numeric" and columns["ssn"] == "text"
    assert len(columns) == 9


def test_the_query_tool_is_masked_and_audited(answer: dict[str, Any], gateway: RunningGateway) -> None:
    assert answer["query"]["isError"] is False
    rows = json.loads(answer["query"]["text"])
    assert [r["id"] for r in rows] == ["1", "2"]
    assert all(r["ssn"].startswith("****") and r["email"].startswith("****@") for r in rows)
    records = [r for r in statement_records(gateway, QUERY) if r["data"]["principal"]["subject"] == "ann"]
    assert records, "the MCP server's query was not audited"
    masked = {m["column"] for m in records[-1]["data"]["masked_columns"]}
    assert {"ssn", "email"} <= masked
