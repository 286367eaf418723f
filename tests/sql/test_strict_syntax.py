"""Invalid SQL that sqlglot accepts must fail with PostgreSQL's 42601, and valid SQL near
those shapes must still parse: every case is checked against the real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from pgbridge.sql.statements.classify import parse_statement
from pgbridge.wire.errors import PgError, SqlState

INVALID = [
    "select 1,",
    "select id,, name from customers",
    "select id, from customers",
    "select id, name, from customers where id = 1",
    "select 'a' 'b'",
    "select 'a'  'b', 1",
    "select count(, id) from customers",
    "select coalesce(city,) from customers",
    "select id from customers where id in (1, 2,)",
    "select id from customers order by id,",
    "select $$a$$\n'b'",
    "select 'a' /* note */\n'b'",
    "select 'a'\nE'b'",
]

VALID = [
    "select 'a'\n'b'",
    "select 'a'  \n  'b'",
    "select 'a' -- note\n'b'",
    "select 'it''s', 'x'",
    "select id, name from customers",
    "select date '2020-01-01', 'a'",
    "select ',,', ', from' from customers",
    'select 1 as ",", 2',
    "select '(', ',', ')'",
    "select id from customers where id in (1, 2) and name like '%,'",
    "select id /* a, */ from customers",
    "select array[1, 2], (1, 2) = (1, 2)",
]


@pytest.mark.parametrize("sql", INVALID)
def test_invalid_sql_is_a_syntax_error_as_in_postgres(pg: psycopg.Connection, sql: str) -> None:
    with pytest.raises(psycopg.errors.SyntaxError) as pg_caught:
        pg.execute(sql)
    expected = str(pg_caught.value).splitlines()[0]
    with pytest.raises(PgError) as caught:
        parse_statement(sql)
    assert caught.value.sqlstate == SqlState.SYNTAX_ERROR
    assert caught.value.message == expected
    assert str(caught.value.position) == pg_caught.value.diag.statement_position


@pytest.mark.parametrize("sql", VALID)
def test_valid_sql_still_parses(pg: psycopg.Connection, sql: str) -> None:
    pg.execute(sql)
    assert parse_statement(sql).ast is not None
