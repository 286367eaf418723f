"""The ADBC PostgreSQL driver (adbc-driver-postgresql, the `test` extra), the Arrow-native
reader polars and DuckDB's scanner build on: it loads pg_type by typreceive name at connect and
reads every result with `COPY (...) TO STDOUT (FORMAT binary)` (issue 12: refused; then every
column arrived as an opaque binary because typreceive showed numbers, not names)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import adbc_driver_postgresql
import adbc_driver_postgresql.dbapi as adbc
import pyarrow as pa
import pytest

from tests.compat.conftest import audit_records
from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
def conn(gateway: RunningGateway) -> Iterator[Any]:
    token = gateway.token("ann", ("analyst",))
    uri = f"postgresql://ann:{token}@{gateway.host}:{gateway.port}/pgbridge?sslmode=require"
    with adbc.connect(uri) as connection:
        yield connection


def _read(conn: Any, sql: str) -> pa.Table:
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetch_arrow_table()


def test_a_table_reads_into_arrow_with_its_types(conn: Any) -> None:
    table = _read(conn, "SELECT id, name, tags, attrs FROM products ORDER BY id LIMIT 2")
    assert adbc_driver_postgresql.__version__.startswith("1.")
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("name").type == pa.string()
    assert table.schema.field("tags").type == pa.list_(pa.string())
    assert table.to_pylist()[0]["tags"] == ["sale", "bulk"] and table.num_rows == 2
    assert '"color": "green"' in table.to_pylist()[0]["attrs"]  # jsonb, as arrow.json


def test_masked_columns_and_timestamps(conn: Any, gateway: RunningGateway) -> None:
    sql = "SELECT id, ssn, created_at, lifetime_value FROM customers WHERE id <= 2 ORDER BY id"
    table = _read(conn, sql)
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    rows = table.to_pylist()
    assert [r["ssn"] for r in rows] == ["****8907", "****7814"]
    assert rows[0]["created_at"] == datetime.datetime(2020, 1, 2, 5, 5, 29, tzinfo=datetime.UTC)
    copies = [
        r["data"]
        for r in audit_records(gateway)
        if r["type"] == "statement" and r["data"]["principal"]["subject"] == "ann" and sql in r["data"]["sql"]
    ]
    assert copies and {m["column"] for m in copies[-1]["masked_columns"]} == {"ssn"}
