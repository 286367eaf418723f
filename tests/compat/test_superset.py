"""Apache Superset 6.1.0 (PyPI; its own virtual environment and metadata database, prepared
by scripts/install-test-deps.d/tools.sh) through its REST API, in process
(tests/compat/tools/superset_probe.py), with analyst's token in the database URI: add the
database (Superset tests the connection), browse schemas and tables, SQL Lab, a dataset, a
daily time-series chart, and the same chart over a time range.

The time-range chart sends `TO_TIMESTAMP('2022-01-01 00:00:00.000000', 'YYYY-MM-DD
HH24:MI:SS.US')`, which the function catalogue's translation of to_timestamp (another change)
brings; until it lands that test is an expected failure, strict, so that it reports the day
it passes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.compat

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".tools" / "superset-venv" / "bin" / "python"
HOME = ROOT / ".tools" / "superset-home"
PROBE = Path(__file__).parent / "tools" / "superset_probe.py"


@pytest.fixture(scope="module")
def answer(gateway: RunningGateway, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    assert PYTHON.exists() and (HOME / ".done").exists(), "run scripts/install-test-deps.d/tools.sh"
    home = tmp_path_factory.mktemp("superset")
    shutil.copy(HOME / "superset.db", home / "superset.db")  # the copy is this run's own
    config = (HOME / "superset_config.py").read_text()
    config = config.replace(str(HOME / "superset.db"), str(home / "superset.db"))
    (home / "superset_config.py").write_text(config)
    uri = (
        f"postgresql+psycopg2://ann:{gateway.token('ann', ('analyst',))}@{gateway.host}:{gateway.port}"
        "/pgbridge?sslmode=require"
    )
    env = {**os.environ, "SUPERSET_CONFIG_PATH": str(home / "superset_config.py")}
    done = subprocess.run(
        [str(PYTHON), str(PROBE), uri], env=env, capture_output=True, text=True, timeout=300, cwd=home
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # Superset prints a line of its own first


def test_connect_and_browse(answer: dict[str, Any]) -> None:
    assert answer["database"] == 201  # created after Superset's own connection test
    assert "public" in answer["schemas"] and "shop" not in answer["schemas"]
    assert answer["tables"] == ["customers", "orders", "products"]


def test_sql_lab_is_masked(answer: dict[str, Any]) -> None:
    assert answer["sqllab"]["status"] == 200
    assert answer["sqllab"]["data"][:2] == [{"id": 1, "ssn": "****8907"}, {"id": 2, "ssn": "****7814"}]


def test_dataset_and_a_daily_chart(answer: dict[str, Any]) -> None:
    assert answer["dataset"] == 201
    chart = answer["chart"]
    assert chart["status"] == 200, chart["error"]
    assert "DATE_TRUNC('day', ordered_at)" in chart["query"]
    assert len(chart["data"]) == 10 and all(row["count"] > 0 for row in chart["data"])


def test_a_chart_over_a_time_range(answer: dict[str, Any]) -> None:
    chart = answer["chart_time_range"]
    assert chart["status"] == 200, chart["error"]
    days = [row["ordered_at"] for row in chart["data"]]
    assert len(days) == 7 and min(days) == 1640995200000  # 2022-01-01 .. 2022-01-07, UTC
