"""The 22 TPC-H queries through the gateway give PostgreSQL's rows.

Data from tpchgen-cli (scale factor 0.01), money as NUMERIC(15, 2) on both sides. Each query
runs on a real PostgreSQL and through a real gateway on its embedded DuckDB warehouse:
psql's unaligned output (header, rows, row count) must be byte-identical, and asyncpg's
binary results must carry PostgreSQL's column types and values. All 22 must be byte-identical
(Q17 and Q22 compare with avg() in WHERE: constructs/avg_compare.py decides those exactly); none
may be refused.
"""

from __future__ import annotations

import pytest

from tests.sql.tpch.clients import asyncpg_gateway, asyncpg_postgres, psql_gateway, psql_postgres
from tests.sql.tpch.queries import QUERIES
from tests.support.gateway import RunningGateway
from tests.support.postgres import PostgresServer

AT_LEAST = 22  # of the 22, byte-identical in psql's unaligned output


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


def test_all_are_byte_identical(tpch_postgres: PostgresServer, tpch_gateway: RunningGateway) -> None:
    same = [
        n
        for n, sql in QUERIES.items()
        if psql_gateway(tpch_gateway, sql).stdout == psql_postgres(tpch_postgres, sql).stdout
    ]
    print(f"\nTPC-H byte-identical through psql: {len(same)} of {len(QUERIES)}: {sorted(same)}")
    assert len(same) >= AT_LEAST


@pytest.mark.parametrize("number", sorted(QUERIES))
async def test_binary_types_and_values(
    tpch_postgres: PostgresServer, tpch_gateway: RunningGateway, number: int
) -> None:
    sql = QUERIES[number]
    expected_types, expected_rows = await asyncpg_postgres(tpch_postgres, sql)
    types, rows = await asyncpg_gateway(tpch_gateway, sql)
    assert types == expected_types
    assert rows == expected_rows
