"""Row and byte limits of the demo policy, and EXPLAIN's view of them, on both backends."""

from __future__ import annotations

import asyncpg
import pytest

from tests.e2e.boundary import ORDERS_DRY_RUN_BYTES, Boundary
from tests.e2e.clients import connect, psql
from tests.support.gateway import RunningGateway

ORDERS_AND_SSN = "SELECT ssn, amount FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id"


async def test_support_max_rows_stops_the_result(any_gateway: RunningGateway) -> None:
    # BR's customers have about 100,000 orders; support may read 10,000 rows of a result.
    async with connect(any_gateway, roles=("support",), country="BR") as conn:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch("SELECT id FROM shop.orders")
        assert caught.value.sqlstate == "54000"
        assert "10000 rows" in str(caught.value)
        assert await conn.fetchval("SELECT count(*) FROM shop.orders") > 10_000  # one row is fine


async def test_explain_shows_the_plan_without_running(any_boundary_gateway: RunningGateway) -> None:
    async with connect(any_boundary_gateway, user="bob", roles=("analyst",)) as conn:
        plan = [row[0] for row in await conn.fetch(f"EXPLAIN {ORDERS_AND_SSN}")]
    assert plan[0] == "pgbridge plan (nothing was run)"
    assert any(line.startswith("Estimated bytes scanned: ") for line in plan)
    assert any("Masked column ssn: partial" in line for line in plan)
    assert any("Cost rule: approve" in line for line in plan)  # over the analyst's 20 MB
    assert "BigQuery SQL:" in plan


def test_explain_runs_no_job_on_bigquery(boundary: Boundary) -> None:
    before = len(boundary.proxy.inserts)
    # A text of its own: the backend remembers dry runs, and this one must reach BigQuery.
    done = psql(boundary.gateway, f"EXPLAIN {ORDERS_AND_SSN} WHERE o.id > 7", user="bob", roles=("analyst",))
    assert done.returncode == 0, done.stderr
    assert f"Estimated bytes scanned: {ORDERS_DRY_RUN_BYTES}" in done.stdout.replace(",", ""), done.stdout
    sent = boundary.proxy.inserts[before:]
    assert len(sent) == 1 and sent[0]["configuration"]["dryRun"] is True
