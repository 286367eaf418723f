"""pgcli (PyPI, in a virtual environment of its own: scripts/install-test-deps.d/tools.sh) as
analyst, through its own executor and completion refresher (tests/compat/tools/pgcli_probe.py):
`\\dt`, `\\d customers`, every completion refresher without an error (issue 12: \\dt failed
on relkind = ANY('{r,p,""}'), the refresh on unnest(current_schemas(true)) and on
'trigger'::regtype), then completion of table and column names."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.compat

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".tools" / "pgcli-venv" / "bin" / "python"
PROBE = Path(__file__).parent / "tools" / "pgcli_probe.py"


@pytest.fixture(scope="module")
def answer(gateway: RunningGateway) -> dict[str, Any]:
    assert PYTHON.exists(), "run scripts/install-test-deps.d/tools.sh"
    token = gateway.token("ann", ("analyst",))
    done = subprocess.run(
        [str(PYTHON), str(PROBE), gateway.host, str(gateway.port), "ann", token],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_dt_lists_the_tables(answer: dict[str, Any]) -> None:
    [listing] = answer["dt"]
    assert listing["headers"] == ["Schema", "Name", "Type", "Owner"]
    assert listing["rows"] == [
        ["public", "customers", "table", "pgbridge"],
        ["public", "orders", "table", "pgbridge"],
        ["public", "products", "table", "pgbridge"],
    ]


def test_d_describes_a_table(answer: dict[str, Any]) -> None:
    [described] = answer["d"]
    columns = {row[0]: row[1] for row in described["rows"]}
    assert columns["id"] == "bigint" and columns["created_at"] == "timestamp with time zone"
    assert list(columns)[:3] == ["id", "name", "email"] and len(columns) == 9


def test_completion_refresh_runs_every_refresher_and_completes(answer: dict[str, Any]) -> None:
    refreshers = ["schemata", "tables", "views", "types", "databases", "casing", "functions"]
    assert answer["refreshers"] == refreshers
    assert {"customers", "orders", "products"} <= set(answer["tables_after_from"])
    assert {"id", "ssn", "lifetime_value"} <= set(answer["columns_of_customers"])
    assert "current_schemas" in answer["functions"] or '"current_schema"' in answer["functions"]
