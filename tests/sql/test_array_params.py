"""Array parameters as asyncpg and psycopg send them: x = ANY($1::int8[]) and x = ANY($1).

Each case runs on the real PostgreSQL and through the translation on DuckDB with the same
values (including an empty and a NULL array). Outside a WHERE / HAVING / ON condition an
array parameter is refused: BigQuery binds a NULL array as an empty one.
"""

from __future__ import annotations

from typing import Any

import duckdb
import psycopg
import pytest

from pgbridge.typemap import BqType
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline

INT8_ARRAY = BqType("ARRAY", element=BqType("INT64"))
TEXT_ARRAY = BqType("ARRAY", element=BqType("STRING"))

CASES: list[tuple[str, Any, BqType | None]] = [
    ("select id from customers where id = any($1::int8[]) order by id", [1, 3, 5], None),
    ("select id from customers where id = any($1::bigint[]) order by id", [2, 99], None),
    ("select id from customers where id = any($1::int8[]) order by id", [], None),
    ("select id from customers where id = any($1::int8[]) order by id", None, None),
    ("select id from customers where id = any($1) order by id", [1, 4], INT8_ARRAY),
    ("select id from customers where id = any($1) order by id", [1, 4], None),
    ("select id from customers where city = any($1::text[]) order by id", ["Paris", "Oslo"], None),
    ("select id from customers where city = any($1) order by id", ["Paris"], TEXT_ARRAY),
    ("select id from customers where city = any($1) order by id", [], TEXT_ARRAY),
    ("select id from customers where id = any($1::int8[]) or city = 'Paris' order by id", [2], None),
    ("select id from customers where active and id = any($1::int8[]) order by id", [1, 2, 3], None),
]


@pytest.mark.parametrize(("sql", "value", "declared"), CASES)
def test_array_parameter_matches_postgres(
    pg: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    schema: FixtureSchema,
    sql: str,
    value: Any,
    declared: BqType | None,
) -> None:
    translation = check(pg, duck, schema, sql, (value,), (declared,) if declared else ())
    assert str(translation.param_types[0]).startswith("ARRAY<")


def test_some_case_keeps_rows(pg: psycopg.Connection) -> None:
    with pg.cursor() as cur:
        cur.execute("select count(*) from customers where id = any(%s::int8[])", ([1, 3, 5],))
        row = cur.fetchone()
    assert row is not None and row[0] > 0


@pytest.mark.parametrize(
    "sql",
    [
        "select $1::text[]",
        "select cardinality($1::int8[])",
        "select id = any($1::int8[]) from customers",
        "select id from customers where not (id = any($1::int8[]))",
        "select case when id = any($1::int8[]) then 1 end from customers",
    ],
)
def test_array_parameter_elsewhere_is_refused(schema: FixtureSchema, sql: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert "array parameter" in caught.value.message


def test_text_parameter_cast_to_int8_array_is_refused(schema: FixtureSchema) -> None:
    with pytest.raises(PgError) as caught:
        pipeline("select id from customers where id = any($1::int8[])", schema, [BqType("STRING")])
    assert "cast from string to int8[]" in caught.value.message
