"""postgres-mcp (PyPI, `--access-mode=restricted`, its own Python 3.12 virtual environment:
scripts/install-test-deps.d/tools.sh) started over stdio by the MCP Python SDK, as analyst:
its five database tools (tests/compat/tools/postgres_mcp_probe.py). explain_query sends
`/* crystaldba */ EXPLAIN (FORMAT JSON) ...` (issue 12: 42601, then a text plan it could not
read); execute_sql runs inside its read-only transaction, masked."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.compat

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".tools" / "postgres-mcp-venv" / "bin" / "python"
PROBE = Path(__file__).parent / "tools" / "postgres_mcp_probe.py"
QUERY = "SELECT id, ssn FROM customers ORDER BY id LIMIT 2"


@pytest.fixture(scope="module")
def answer(gateway: RunningGateway) -> dict[str, Any]:
    assert PYTHON.exists(), "run scripts/install-test-deps.d/tools.sh"
    uri = (
        f"postgresql://ann:{gateway.token('ann', ('analyst',))}@{gateway.host}:{gateway.port}"
        "/pgbridge?sslmode=require"
    )
    done = subprocess.run([str(PYTHON), str(PROBE), uri, QUERY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _value(answer: dict[str, Any], tool: str) -> Any:
    """A tool's answer: postgres-mcp prints Python literals; its errors start with 'Error:'."""
    result = answer[tool]
    assert not result["isError"] and not result["text"].startswith("Error"), result["text"]
    return ast.literal_eval(result["text"])


def test_list_schemas(answer: dict[str, Any]) -> None:
    schemas = {s["schema_name"]: s["schema_type"] for s in _value(answer, "list_schemas")}
    assert schemas == {
        "information_schema": "System Information Schema",
        "pg_catalog": "System Schema",
        "public": "User Schema",
    }


def test_list_objects_and_details(answer: dict[str, Any]) -> None:
    assert [o["name"] for o in _value(answer, "list_objects")] == ["customers", "orders", "products"]
    details = _value(answer, "get_object_details")
    columns = {c["column"]: c["data_type"] for c in details["columns"]}
    assert list(columns)[:2] == ["id", "name"] and columns["created_at"] == "timestamp with time zone"
    assert details["constraints"] == [] and details["indexes"] == []  # BigQuery has neither


def test_explain_query_reads_the_json_plan(answer: dict[str, Any]) -> None:
    text = answer["explain_query"]["text"]
    assert not answer["explain_query"]["isError"] and not text.startswith("Error"), text
    assert text.startswith("→ BigQuery Query (Cost: 0.00..") and "[Rows: 0]" in text
    cost = float(text.split("..")[1].split(")")[0])
    assert cost > 0  # the dry run's bytes for orders.id and orders.amount


def test_execute_sql_is_masked(answer: dict[str, Any]) -> None:
    assert _value(answer, "execute_sql") == [{"id": 1, "ssn": "****8907"}, {"id": 2, "ssn": "****7814"}]
