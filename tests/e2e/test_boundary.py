"""What the emulator cannot show, on the bigquery backend at the HTTP boundary, beside duckdb.

The `boundary` gateway runs the bigquery backend against the emulator through a proxy that
answers as real BigQuery does where the emulator does not (tests/e2e/boundary.py): JSON
column types, dry-run bytes, and what the gateway sends with each job (labels, cap, id).
"""

from __future__ import annotations

import re

import asyncpg
import pytest

from tests.e2e.boundary import Boundary
from tests.e2e.clients import connect, psql_rows
from tests.support.cli import approve as cli_approve
from tests.support.gateway import RunningGateway

ATTRS = "SELECT id, attrs FROM shop.products WHERE id <= 3 ORDER BY id"


async def test_json_column_reaches_the_client_as_jsonb(any_boundary_gateway: RunningGateway) -> None:
    async with connect(any_boundary_gateway) as conn:
        statement = await conn.prepare(ATTRS)
        rows = await statement.fetch()
        assert [a.type.name for a in statement.get_attributes()] == ["int8", "jsonb"]
    # PostgreSQL's jsonb text: keys by length then bytes, ", " and ": " separators.
    assert rows[0]["attrs"] == '{"color": "green", "fragile": false, "weight_g": 37}'


def test_json_column_text_is_the_same_on_both(
    both_gateways: dict[str, RunningGateway], boundary: Boundary
) -> None:
    assert psql_rows(boundary.gateway, ATTRS) == psql_rows(both_gateways["duckdb"], ATTRS)


async def test_a_scan_over_the_analyst_limit_needs_approval(any_boundary_gateway: RunningGateway) -> None:
    sql = (
        "SELECT status, count(DISTINCT customer_id) AS customers, max(ordered_at) AS last, "
        "min(amount) AS least FROM shop.orders GROUP BY status ORDER BY status"
    )
    async with connect(any_boundary_gateway) as conn:
        expected = [tuple(r) for r in await conn.fetch(sql)]  # admin: no byte limit
    async with connect(any_boundary_gateway, roles=("analyst",)) as conn:
        await conn.execute("SET pgbridge.approval = 'ticket'")
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetchval(sql)
        found = re.search(r"apr_[0-9a-f]+", str(caught.value) + str(caught.value.as_dict()))
        assert found is not None, caught.value.as_dict()
        approve = cli_approve(any_boundary_gateway, found.group(0), "bob")
        assert approve.returncode == 0, approve.stdout + approve.stderr
        assert [tuple(r) for r in await conn.fetch(sql)] == expected and len(expected) == 5


async def test_queries_carry_the_principal_s_labels_cap_and_timeout(boundary: Boundary) -> None:
    # Queries go through jobs.query (one round trip; pgbridge.backends.bigquery_query): the
    # QueryRequest carries what the job carried, and BigQuery names the job, if it makes one.
    async with connect(boundary.gateway, user="carol", roles=("analyst",)) as conn:
        await conn.execute("SET statement_timeout = '40s'")
        assert await conn.fetchval("SELECT count(*) FROM shop.products WHERE price > $1", 500.0) > 0
    (body,) = [
        body
        for body in boundary.proxy.queries
        if "`products`" in body["query"] and body.get("labels", {}).get("pgbridge_principal") == "carol"
    ]
    session = body["labels"]["pgbridge_session"]
    assert body["labels"] == {
        "pgbridge_principal": "carol",
        "pgbridge_role": "analyst",
        "pgbridge_session": session,
    }
    assert body["jobCreationMode"] == "JOB_CREATION_OPTIONAL"
    assert body["maximumBytesBilled"] == "10000000000"  # the demo policy's max_bytes_billed
    assert body["jobTimeoutMs"] == "40000"
    (parameter,) = body["queryParameters"]
    assert parameter["parameterType"]["type"] == "NUMERIC" and parameter["parameterValue"]["value"] == "500"
