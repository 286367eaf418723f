"""The 22 TPC-H queries through the gateway give PostgreSQL's rows.

Data from tpchgen-cli (scale factor 0.01), money as NUMERIC(15, 2) on both sides. Each query
runs on a real PostgreSQL and through a real gateway on its embedded DuckDB warehouse:
psql's unaligned output (header, rows, row count) must be byte-identical, and asyncpg's
binary results must carry PostgreSQL's column types and values.
"""

from __future__ import annotations

import pytest

from tests.sql.tpch.clients import asyncpg_gateway, asyncpg_postgres, psql_gateway, psql_postgres
from tests.sql.tpch.queries import QUERIES
from tests.support.gateway import RunningGateway
from tests.support.postgres import PostgresServer


@pytest.mark.parametrize("number", sorted(QUERIES))
def test_psql_output_is_postgres_output(
    tpch_postgres: PostgresServer, tpch_gateway: RunningGateway, number: int
) -> None:
    sql = QUERIES[number]
    expected = psql_postgres(tpch_postgres, sql)
    assert expected.returncode == 0, expected.stderr
    assert expected.stdout.count("\n") > 2, "the query must return rows to compare"
    got = psql_gateway(tpch_gateway, sql)
    assert got.returncode == 0, got.stderr
    assert got.stdout == expected.stdout


@pytest.mark.parametrize("number", sorted(QUERIES))
async def test_binary_types_and_values(
    tpch_postgres: PostgresServer, tpch_gateway: RunningGateway, number: int
) -> None:
    sql = QUERIES[number]
    expected_types, expected_rows = await asyncpg_postgres(tpch_postgres, sql)
    types, rows = await asyncpg_gateway(tpch_gateway, sql)
    assert types == expected_types
    assert rows == expected_rows
