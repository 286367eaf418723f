"""Run one query on PostgreSQL directly and through pgbridge's pipeline on DuckDB; compare.

pipeline: parse_statement -> resolve -> translate (BigQuery SQL) -> bigquery_to_duckdb -> DuckDB.
Results must be equal: as ordered lists when the query has a top-level ORDER BY, else as
multisets; floats within a tight relative tolerance; numerics by Decimal value. The Python
type of each value must agree too (an int where PostgreSQL returns a float is a bug), and
so must the output column names and the translation's output types.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import duckdb
import psycopg
from sqlglot import exp

from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb
from pgbridge.encode.numeric_digits import finish
from pgbridge.sql.names.resolve import NameContext, resolve
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.translate.pipeline import Translation, translate
from pgbridge.typemap import BqType
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema

NAMES = NameContext(search_path=("shop", "public"), default_dataset="shop", schema_to_dataset={})

# PostgreSQL result type OID -> the BigQuery spelling translate() should report.
_OID_TO_BQ = {
    20: "INT64",
    21: "INT64",
    23: "INT64",
    700: "FLOAT64",
    701: "FLOAT64",
    1700: "NUMERIC",
    25: "STRING",
    1043: "STRING",
    16: "BOOL",
    1082: "DATE",
    1114: "DATETIME",
    1184: "TIMESTAMP",
    1009: "ARRAY<STRING>",
    3802: "JSON",
    114: "JSON",
    1016: "ARRAY<INT64>",
    1007: "ARRAY<INT64>",
}


def pipeline(
    sql: str, schema: FixtureSchema, param_types: Sequence[BqType | None] = (), timezone: str = "UTC"
) -> Translation:
    stmt = parse_statement(sql)
    resolved = resolve(stmt, replace(NAMES, timezone=timezone), schema)
    return translate(resolved, param_types, schema, text=stmt.text)


def run_pg(
    pg: psycopg.Connection, sql: str, params: Sequence[Any] = ()
) -> tuple[list[tuple[Any, ...]], list[str], list[int]]:
    order = [int(n) - 1 for n in re.findall(r"\$(\d+)", sql)]
    text = re.sub(r"\$(\d+)", lambda m: "%s", sql.replace("%", "%%")) if params else sql
    with pg.cursor() as cur:
        cur.execute(text, [params[i] for i in order] if params else None)
        names = [d.name for d in cur.description or []]
        oids = [d.type_code for d in cur.description or []]
        return list(cur.fetchall()), names, oids


def run_duck(
    duck: duckdb.DuckDBPyConnection, translation: Translation, params: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    sql = bigquery_to_duckdb(translation.sql)
    bound = {f"p{i + 1}": v for i, v in enumerate(params)} if params else None
    return [tuple(r) for r in duck.execute(sql, bound).fetchall()]


def assert_refused(schema: FixtureSchema, sql: str) -> PgError:
    """The translation refuses `sql` with 0A000 (naming what is unsupported); the error."""
    try:
        pipeline(sql, schema)
    except PgError as error:
        assert error.sqlstate == SqlState.FEATURE_NOT_SUPPORTED, error
        return error
    raise AssertionError(f"translated, expected a refusal: {sql}")


def has_top_order(sql: str) -> bool:
    ast = parse_statement(sql).ast
    return ast is not None and ast.args.get("order") is not None and not isinstance(ast, exp.Subquery)


def check(
    pg: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    schema: FixtureSchema,
    sql: str,
    params: Sequence[Any] = (),
    param_types: Sequence[BqType | None] = (),
    timezone: str = "UTC",
) -> Translation:
    """Compare one query; PostgreSQL runs it with SET TimeZone = timezone, DuckDB stays in UTC."""
    pg.execute(f"SET TimeZone = '{timezone}'")
    try:
        expected, names, oids = run_pg(pg, sql, params)
    finally:
        pg.execute("SET TimeZone = 'UTC'")
    translation = pipeline(sql, schema, param_types, timezone)
    actual = run_duck(duck, translation, params)
    assert list(translation.output_names) == names, (translation.output_names, names)
    for got, oid in zip(translation.output_types, oids, strict=True):
        if got is not None and oid in _OID_TO_BQ:
            assert got == _OID_TO_BQ[oid], f"output type {got}, PostgreSQL {oid}\n{translation.sql}"
    _compare(expected, _parse_json(actual, translation), has_top_order(sql), translation)
    return translation


def _parse_json(rows: list[tuple[Any, ...]], translation: Translation) -> list[tuple[Any, ...]]:
    """DuckDB returns JSON as text; psycopg parses jsonb. Compare parsed values."""
    json_columns = {i for i, t in enumerate(translation.output_types) if t == "JSON"}
    # Exact numeric outputs arrive as PostgreSQL's digits (text); their value is the Decimal.
    digit_columns = {i for i, t in enumerate(translation.output_types) if t == "NUMERIC"}
    if not json_columns and not digit_columns:
        return rows
    return [
        tuple(_decode(v, i in json_columns, i in digit_columns) for i, v in enumerate(row)) for row in rows
    ]


def _decode(value: Any, is_json: bool, is_digits: bool) -> Any:
    if isinstance(value, str) and is_json:
        return json.loads(value)
    if isinstance(value, str) and is_digits:
        return Decimal(finish(value))  # the encoder's finishing step (encode/numeric_digits.py)
    return value


def _compare(
    expected: list[tuple[Any, ...]], actual: list[tuple[Any, ...]], ordered: bool, translation: Translation
) -> None:
    context = f"\nBigQuery: {translation.sql}\nDuckDB: {bigquery_to_duckdb(translation.sql)}"
    assert len(expected) == len(actual), (
        f"{len(expected)} rows vs {len(actual)}{context}\n{expected}\n{actual}"
    )
    left = [tuple(_norm(v) for v in row) for row in expected]
    right = [tuple(_norm(v) for v in row) for row in actual]
    if not ordered:
        left, right = sorted(left, key=repr), sorted(right, key=repr)
    for a, b in zip(left, right, strict=True):
        assert _row_equal(a, b), (
            f"PostgreSQL {a} != pgbridge {b}{context}\nall PG: {left}\nall pgbridge: {right}"
        )


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal):
        return ("numeric", value.normalize() if value == value else value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return ("timestamptz", value.astimezone(dt.UTC))
    if isinstance(value, list):
        return ("array", tuple(_norm(v) for v in value))
    return (type(value).__name__, value)


def _row_equal(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(_value_equal(x, y) for x, y in zip(a, b, strict=True))


def _value_equal(x: Any, y: Any) -> bool:
    if x[0] != y[0]:
        return False
    if x[0] == "float" and x[1] is not None and y[1] is not None:
        if math.isnan(x[1]) or math.isnan(y[1]):
            return math.isnan(x[1]) and math.isnan(y[1])  # PostgreSQL's NaN equals NaN
        return math.isclose(x[1], y[1], rel_tol=1e-12, abs_tol=1e-300)
    return bool(x == y)
