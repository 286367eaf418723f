"""Fixtures for the sql tests: the fixture tables in a real PostgreSQL and in DuckDB."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import psycopg
import pytest

from pgbridge.backends.duckdb import lock_down
from tests.sql.fixtures import FixtureSchema, setup_sql
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="session")
def sql_postgres(postgres: PostgresServer) -> PostgresServer:
    """A database of the sql tests' own: their `shop` fixture schema must not meet the
    catalog tests' `shop`, whatever order the suite runs in."""
    return postgres.database_for("sql_tests")


@pytest.fixture(scope="session")
def pg(sql_postgres: PostgresServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(sql_postgres.dsn, autocommit=True) as conn:
        for statement in setup_sql("postgres"):
            conn.execute(statement)
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET search_path = shop, public")
        yield conn


@pytest.fixture(scope="session")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    conn = duckdb.connect(":memory:")
    conn.execute("SET TimeZone = 'UTC'")
    for statement in setup_sql("duckdb"):
        conn.execute(statement)
    lock_down(conn)  # as the embedded backend runs client SQL: ICU and JSON must still work
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def schema() -> FixtureSchema:
    return FixtureSchema()
