"""LangChain's SQLDatabase (langchain-community, in a virtual environment of its own:
scripts/install-test-deps.d/tools.sh) as analyst, as a LangChain SQL agent starts: table
names, table info with three sample rows per table (masked), a query. The samples are table
previews (pipeline/preview.py): an unmasked one is billed 0 bytes, a masked one is a real query
under the cost limit, and none waits for an approval (issue 12 saw 300 s)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import audit_records
from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.compat

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".tools" / "langchain-venv" / "bin" / "python"
PROBE = Path(__file__).parent / "tools" / "langchain_probe.py"
QUERY = "SELECT id, ssn FROM customers ORDER BY id LIMIT 2"


@pytest.fixture(scope="module")
def answer(gateway: RunningGateway) -> dict[str, Any]:
    assert PYTHON.exists(), "run scripts/install-test-deps.d/tools.sh"
    url = (
        f"postgresql+psycopg2://ann:{gateway.token('ann', ('analyst',))}@{gateway.host}:{gateway.port}"
        "/pgbridge?sslmode=require"
    )
    done = subprocess.run([str(PYTHON), str(PROBE), url, QUERY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_table_names(answer: dict[str, Any]) -> None:
    assert answer["dialect"] == "postgresql"
    assert answer["tables"] == ["customers", "orders", "products"]


def test_table_info_has_masked_samples_and_no_approval_wait(
    answer: dict[str, Any], gateway: RunningGateway
) -> None:
    info = answer["table_info"]
    for table in ("customers", "orders", "products"):
        assert f"CREATE TABLE {table} (" in info and f"3 rows from {table} table:" in info
    assert "\tid BIGINT" in info and "TIMESTAMP WITH TIME ZONE" in info and "JSONB" in info
    first = info.split("3 rows from customers table:\n")[1].splitlines()[1].split("\t")
    assert first[0] == "1" and first[4].startswith("****") and first[2].startswith("****@")
    assert answer["table_info_seconds"] < 30  # no approval wait
    samples = {
        found.group(1): r["data"]
        for r in audit_records(gateway)
        if r["type"] == "statement" and r["data"]["principal"]["subject"] == "ann"
        if (found := re.fullmatch(r"SELECT .*\sFROM (\w+)\s+LIMIT 3", r["data"]["sql"], re.S))
    }
    assert set(samples) == {"customers", "orders", "products"}
    assert all(s["decision"] == "allow" and s["approval_id"] is None for s in samples.values())
    assert samples["orders"]["bytes_estimate"] == 0  # a preview: BigQuery bills it nothing
    assert samples["customers"]["masked_columns"]  # masked: a real query, masked in SQL


def test_run_is_masked_and_errors_reach_the_agent(answer: dict[str, Any]) -> None:
    assert answer["run"] == "[(1, '****8907'), (2, '****7814')]"
    assert 'column "nope" does not exist' in answer["run_error"]
