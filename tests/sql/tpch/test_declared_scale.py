"""Declared scales (NUMERIC(15, 2) on both sides) as a client sees them: RowDescription's
typmod for a column that declares one (and none for computed values), and the catalog's
numeric(15,2) in format_type, pg_attribute and information_schema, as PostgreSQL answers.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.support.gateway import RunningGateway
from tests.support.postgres import PostgresServer

DESCRIBED = [
    "select l_quantity, l_orderkey, sum(l_quantity) as total, l_quantity * 2 as doubled "
    "from lineitem group by l_quantity, l_orderkey limit 1",
    "select q from (select l_extendedprice as q from lineitem) s limit 1",
    "select avg(l_discount), min(l_tax) from lineitem",
]

CATALOG = [
    "select attname, format_type(atttypid, atttypmod), atttypmod from pg_attribute "
    "where attrelid = 'lineitem'::regclass and attnum > 0 order by attnum",
    "select column_name, data_type, numeric_precision, numeric_scale, numeric_precision_radix "
    "from information_schema.columns where table_name = 'partsupp' order by ordinal_position",
]


def _postgres(server: PostgresServer) -> psycopg.Connection[Any]:
    return psycopg.connect(server.dsn, autocommit=True, options="-c search_path=tpch")


@pytest.mark.parametrize("sql", DESCRIBED)
def test_row_description_typmod(
    tpch_postgres: PostgresServer, tpch_gateway: RunningGateway, sql: str
) -> None:
    with _postgres(tpch_postgres) as pg, psycopg.connect(tpch_gateway.dsn(), autocommit=True) as gw:
        expected = pg.execute(sql).description
        got = gw.execute(sql).description
    assert expected is not None and got is not None
    assert [(c.name, c.type_code, c.precision, c.scale) for c in got] == [
        (c.name, c.type_code, c.precision, c.scale) for c in expected
    ]
    if not sql.startswith("select avg"):  # a bare column says numeric(15,2); computed ones do not
        assert (got[0].precision, got[0].scale) == (15, 2)
        assert len(got) == 1 or got[-1].precision is None


@pytest.mark.parametrize("sql", CATALOG)
def test_catalog_says_numeric_p_s(
    tpch_postgres: PostgresServer, tpch_gateway: RunningGateway, sql: str
) -> None:
    with _postgres(tpch_postgres) as pg, psycopg.connect(tpch_gateway.dsn(), autocommit=True) as gw:
        expected = pg.execute(sql).fetchall()
        got = gw.execute(sql).fetchall()
    assert got == expected
    assert any("numeric" in str(row) for row in got)
