"""Shared test plumbing: a real DuckDB holding the demo rows, qualification, plan + run + mask."""

from __future__ import annotations

import io
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from pgbridge.audit.recording import scrubbed
from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Field
from pgbridge.masking.plan import MaskPlan, plan_masks
from pgbridge.masking.settings import MaskingSettings
from tests.masking.corpus import CUSTOMER_ROWS, ORDER_ROWS, TABLES

_PG_TYPES = {
    "INT64": "BIGINT",
    "STRING": "TEXT",
    "TIMESTAMP": "TIMESTAMPTZ",
    "NUMERIC": "DECIMAL(38, 9)",
    "FLOAT64": "DOUBLE PRECISION",
}


def schema_lookup(dataset: str, table: str) -> tuple[Field, ...] | None:
    return TABLES.get((dataset, table))


def _mapping() -> dict[str, object]:
    nested: dict[str, dict[str, dict[str, str]]] = {}
    for (dataset, table), fields in TABLES.items():
        nested.setdefault(dataset, {})[table] = {f.name: _PG_TYPES[f.type] for f in fields}
    return dict(nested)


MAPPING_SCHEMA = MappingSchema(_mapping(), dialect="postgres")


def principal(*roles: str) -> Principal:
    return Principal(subject="tester", roles=roles)


def parse(sql: str) -> exp.Expr:
    ast = sqlglot.parse_one(sql, read="postgres")
    assert ast is not None
    return ast


def qualified(sql: str) -> exp.Expr:
    """What the resolver hands on: tables qualified, columns qualified, stars expanded."""
    return qualify(parse(sql), schema=MAPPING_SCHEMA, dialect="postgres", validate_qualify_columns=False)


def open_duckdb(customer_rows: list[tuple[object, ...]] | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA shop")
    con.execute(
        "CREATE TABLE shop.customers (id BIGINT, name TEXT, email TEXT, phone TEXT, ssn TEXT,"
        " card_number TEXT, country TEXT, created_at TIMESTAMPTZ, lifetime_value DECIMAL(38, 9))"
    )
    con.execute(
        "CREATE TABLE shop.orders (id BIGINT, customer_id BIGINT, product_id BIGINT, ordered_at TIMESTAMPTZ,"
        " amount DOUBLE, status TEXT)"
    )
    con.executemany(
        "INSERT INTO shop.customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", customer_rows or CUSTOMER_ROWS
    )
    con.executemany("INSERT INTO shop.orders VALUES (?, ?, ?, ?, ?, ?)", ORDER_ROWS)
    # PostgreSQL / BigQuery spellings of whole-row JSON that DuckDB lacks.
    con.execute("CREATE MACRO row_to_json(x) AS to_json(x)")
    con.execute("CREATE MACRO to_jsonb(x) AS to_json(x)")
    con.execute("CREATE MACRO json_build_object(k, v) AS json_object(CAST(k AS VARCHAR), v)")
    con.execute("CREATE MACRO to_json_string(x) AS CAST(to_json(x) AS VARCHAR)")
    return con


def run(con: duckdb.DuckDBPyConnection, ast: exp.Expr) -> pa.Table:
    return con.sql(ast.sql("duckdb")).to_arrow_table()


def masked_batches(plan: MaskPlan, table: pa.Table) -> Iterator[pa.RecordBatch]:
    batches = table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]
    for batch in batches:
        yield plan.apply(batch)


def to_bytes(schema: pa.Schema, batches: list[pa.RecordBatch]) -> bytes:
    """Arrow IPC bytes as the audit records them (NULL slots scrubbed, audit/recording.py):
    text values appear in them verbatim, so plaintext can be searched."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, schema) as writer:
        for batch in batches:
            writer.write_batch(scrubbed(batch))
    return sink.getvalue()


def plan_and_run(
    con: duckdb.DuckDBPyConnection, ast: exp.Expr, roles: tuple[str, ...], settings: MaskingSettings
) -> tuple[MaskPlan, pa.Table, bytes]:
    plan = plan_masks(ast, schema_lookup, principal(*roles), settings)
    table = run(con, plan.wrap(ast))  # the statement as the warehouse gets it: through masking views
    batches = list(masked_batches(plan, table))
    return plan, table, to_bytes(table.schema, batches)
