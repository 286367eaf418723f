"""concat_ws, array_to_string, octet_length, translate, div, make_date, BETWEEN SYMMETRIC:
the real PostgreSQL versus the translation on DuckDB, and what stays refused."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline

CASES = [
    "select concat_ws(',', name, city) from customers order by id",
    "select concat_ws(' - ', name, id, null, 'x', city) from customers order by id",
    "select concat_ws(null, name) from customers order by id",
    "select concat_ws('', city) from customers order by id",
    "select array_to_string(tags, ',') from customers order by id",
    "select array_to_string(tags, ' / '), array_to_string(tags, '') from products order by id",
    "select octet_length(name), octet_length('héllo€'), octet_length(city) from customers order by id",
    "select translate(name, 'aeo', 'x'), translate(city, 'P', 'p') from customers order by id",
    "select translate('héllo', 'é', 'e')",
    "select div(7, 2), div(-7, 2), div(7, -2), div(id, 3) from customers order by id",
    "select sum(octet_length(name)) from customers",
    "select ascii(name), ascii(city), ascii(''), ascii('€uro'), ascii('é') from customers order by id",
    "select sum(ascii(name)) from customers",
    "select make_date(2020, 2, 29), make_date(1999, 12, 31)",
    "select make_date(2000 + id::int, 1, id::int) from customers where id < 10 order by id",
    "select id from customers where id between symmetric 5 and 2 order by id",
    "select id from customers where id not between symmetric 7 and 3 order by id",
    "select id from customers where born between symmetric date '1995-01-01' and '1980-01-01' order by id",
    r"select E'a\nb', e'tab\there', E'back\\slash', E'quote\'s', E'dq''s', E'\b\f\r'",
    r"select id from customers where name = E'O\'Brien' order by id",
    r"select name || E'\t!' from customers order by id",
]


@pytest.mark.parametrize("sql", CASES)
def test_function_matches_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select concat_ws(',', score) from customers", "concat_ws() of float64"),
        ("select concat_ws(',', active) from customers", "concat_ws() of bool"),
        ("select concat_ws(city, name) from customers", "separator that is not a literal"),
        ("select array_to_string(tags, ',', '*') from customers", "null string"),
        ("select array_to_string(ints, ',') from nums", "array_to_string() of array<int64>"),
        ("select div(balance, 2) from customers", "div() of numeric"),
        ("select make_date(2020, 1, 1.5)", "make_date() of numeric"),
        (r"select E'\x41'", "escape string"),
        ("select name::char(3) from customers", "cast to char(3)"),
        ("select name::bpchar from customers", "bpchar"),
        (r"select E'\101'", "escape string"),
        (r"select E'\u00e9'", "escape string"),
        (
            "select id from customers where (select max(id) from orders) between symmetric 0 and id",
            "BETWEEN SYMMETRIC",
        ),
    ],
)
def test_still_refused(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert construct.lower() in caught.value.message.lower(), caught.value.message


VARCHAR_CASES = [
    "select name::varchar(3), city::varchar(1), name::varchar(100) from customers order by id",
    "select cast(name as varchar(2)), cast(name as character varying(4)) from customers order by id",
    "select 'héllo wörld'::varchar(4), id::varchar(1), born::varchar(4) from customers order by id",
    "select id from customers where name::varchar(1) = 'A' order by id",
]


@pytest.mark.parametrize("sql", VARCHAR_CASES)
def test_varchar_cast_truncates_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)
