"""Fixture tables for the differential tests, created identically in PostgreSQL and DuckDB.

The same rows go into a real PostgreSQL (schema shop, PostgreSQL types) and an in-memory
DuckDB (schema shop, the types BigQuery would have: BIGINT, DOUBLE, DECIMAL(38,9), VARCHAR,
DATE, TIMESTAMP, TIMESTAMPTZ, BOOLEAN, VARCHAR[], JSON). PostgreSQL's numeric columns hold
the values as the gateway shows a BigQuery NUMERIC: trailing fractional zeros trimmed.
TableMeta describes them to the resolver in BigQuery spelling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pgbridge.backends.base import Field, TableMeta

# name -> (BigQuery type, PostgreSQL type, DuckDB type)
_TYPES = {
    "INT64": ("bigint", "BIGINT"),
    "FLOAT64": ("double precision", "DOUBLE"),
    "NUMERIC": ("numeric", "DECIMAL(38,9)"),
    "STRING": ("text", "VARCHAR"),
    "DATE": ("date", "DATE"),
    "DATETIME": ("timestamp", "TIMESTAMP"),
    "TIMESTAMP": ("timestamptz", "TIMESTAMPTZ"),
    "BOOL": ("boolean", "BOOLEAN"),
    "ARRAY<STRING>": ("text[]", "VARCHAR[]"),
    "ARRAY<INT64>": ("bigint[]", "BIGINT[]"),
    "JSON": ("jsonb", "JSON"),
    # Declared scales (BigQuery's parameterized NUMERIC(P, S)): the column's scale is printed.
    "NUMERIC(15,2)": ("numeric(15,2)", "DECIMAL(15,2)"),
    "NUMERIC(10,4)": ("numeric(10,4)", "DECIMAL(10,4)"),
}


@dataclass(frozen=True)
class FixtureTable:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, BigQuery type)
    rows: tuple[tuple[str, ...], ...]  # SQL literal text per cell, valid in both engines


CUSTOMERS = FixtureTable(
    "customers",
    (
        ("id", "INT64"),
        ("name", "STRING"),
        ("city", "STRING"),
        ("score", "FLOAT64"),
        ("balance", "NUMERIC"),
        ("born", "DATE"),
        ("active", "BOOL"),
        ("tags", "ARRAY<STRING>"),
        ("Email", "STRING"),
    ),
    (
        (
            "1",
            "'Alice'",
            "'Paris'",
            "3.5",
            "100.25",
            "'1990-05-17'",
            "true",
            "ARRAY['a','b']",
            "'alice@x.org'",
        ),
        ("2", "'bob'", "'Berlin'", "-1.25", "0", "'1985-12-31'", "false", "ARRAY['b']", "'bob@y.com'"),
        ("3", "'Chloé'", "'paris'", "NULL", "-7.5", "'2000-02-29'", "true", "ARRAY['c','a','d']", "NULL"),
        ("4", "'  Dan  '", "NULL", "2.5", "NULL", "NULL", "NULL", "NULL", "'dan@x.org'"),
        ("5", "'Émile'", "'Zürich'", "0.5", "3.333333333", "'1970-01-01'", "false", "ARRAY['z']", "'e@z.ch'"),
        (
            "6",
            "NULL",
            "'Berlin'",
            "1e10",
            "12345678901234567890.123456789",
            "'2024-02-29'",
            "true",
            "ARRAY['a']",
            "'six@x.org'",
        ),
        ("7", "'O''Brien'", "'Paris'", "-0.5", "2.5", "'1999-01-04'", "true", "ARRAY['b','b']", "'ob@x.org'"),
        ("8", "'a_b%c'", "'Lyon'", "1.5", "-2.5", "'2021-01-03'", "false", "ARRAY['q']", "'ab@x.org'"),
    ),
)

ORDERS = FixtureTable(
    "orders",
    (
        ("id", "INT64"),
        ("customer_id", "INT64"),
        ("amount", "NUMERIC"),
        ("qty", "INT64"),
        ("price", "FLOAT64"),
        ("status", "STRING"),
        ("placed", "DATETIME"),
        ("placed_tz", "TIMESTAMP"),
        ("note", "STRING"),
    ),
    (
        (
            "10",
            "1",
            "19.99",
            "2",
            "9.995",
            "'shipped'",
            "'2024-01-15 10:30:00'",
            "'2024-01-15 10:30:00+00'",
            "'first'",
        ),
        (
            "11",
            "1",
            "5.00",
            "1",
            "5.0",
            "'pending'",
            "'2024-02-01 00:00:00'",
            "'2024-02-01 00:00:00+00'",
            "NULL",
        ),
        (
            "12",
            "2",
            "100.10",
            "7",
            "14.3",
            "'shipped'",
            "'2023-12-31 23:59:59'",
            "'2023-12-31 23:59:59+00'",
            "'a,b,,c'",
        ),
        (
            "13",
            "3",
            "0.01",
            "-3",
            "0.0033",
            "'cancelled'",
            "'2024-03-10 12:00:00.5'",
            "'2024-03-10 12:00:00.5+00'",
            "'x\\y'",
        ),
        ("14", "NULL", "42.42", "0", "NULL", "NULL", "NULL", "NULL", "'orphan'"),
        (
            "15",
            "5",
            "7.50",
            "5",
            "1.5",
            "'shipped'",
            "'2024-01-15 08:00:00'",
            "'2024-01-15 08:00:00+00'",
            "'Ünïcode ☃'",
        ),
        (
            "16",
            "7",
            "NULL",
            "NULL",
            "2.5",
            "'pending'",
            "'2022-06-30 18:45:00'",
            "'2022-06-30 18:45:00+00'",
            "'  padded  '",
        ),
        (
            "17",
            "2",
            "250.00",
            "10",
            "25.0",
            "'shipped'",
            "'2024-01-01 00:00:00'",
            "'2024-01-01 00:00:00+00'",
            "'%literal_'",
        ),
    ),
)

NUMS = FixtureTable(
    "nums",
    (
        ("k", "INT64"),
        ("a", "INT64"),
        ("b", "INT64"),
        ("f", "FLOAT64"),
        ("n", "NUMERIC"),
        ("ints", "ARRAY<INT64>"),
    ),
    (
        ("1", "7", "2", "2.5", "2.5", "ARRAY[1,2,3]"),
        ("2", "-7", "2", "-2.5", "-2.5", "ARRAY[5]"),
        ("3", "7", "-2", "3.5", "0.125", "NULL"),
        ("4", "0", "3", "-3.5", "1.005", "ARRAY[2,2]"),
        ("5", "NULL", "5", "0.49999999999999994", "NULL", "ARRAY[9,8]"),
        ("6", "9223372036854775807", "1", "1e-7", "-0.5", "ARRAY[0]"),
        ("7", "13", "NULL", "NULL", "99.999999999", "ARRAY[7,1]"),
    ),
)

# Instants and wall-clock times around the DST changes of the zones the tests run in:
# Europe/Berlin (2024-03-31 01:00 UTC, 2024-10-27 01:00 UTC), America/New_York
# (2024-03-10 07:00 UTC, 2024-11-03 06:00 UTC), and midnights of Asia/Kolkata (+05:30).
EVENTS = FixtureTable(
    "events",
    (("id", "INT64"), ("ts", "TIMESTAMP"), ("dt", "DATETIME"), ("d", "DATE")),
    (
        ("1", "'2024-03-31 00:30:00+00'", "'2024-03-31 02:30:00'", "'2024-03-31'"),
        ("2", "'2024-03-31 01:30:00+00'", "'2024-10-27 02:30:00'", "'2024-10-27'"),
        ("3", "'2024-10-27 00:30:00+00'", "'2024-03-10 02:30:00'", "'2024-03-10'"),
        ("4", "'2024-10-27 01:30:00+00'", "'2024-11-03 01:30:00'", "'2024-11-03'"),
        ("5", "'2024-03-10 06:59:59+00'", "'2024-01-01 00:00:00'", "'2024-01-01'"),
        ("6", "'2024-03-10 07:00:00+00'", "'2023-12-31 23:59:59.999999'", "'2023-12-31'"),
        ("7", "'2024-11-03 05:30:00+00'", "'2024-02-29 12:00:00'", "'2024-02-29'"),
        ("8", "'2024-11-03 06:30:00+00'", "'2000-01-01 00:00:00'", "'2000-01-01'"),
        ("9", "'2023-12-31 23:00:00+00'", "'2024-06-30 23:30:00'", "'2024-06-30'"),
        ("10", "'2024-01-31 20:00:00+00'", "'2024-01-31 23:00:00'", "'2024-01-31'"),
        ("11", "'2024-02-29 12:00:00.123456+00'", "'1999-12-31 18:30:00'", "'1999-12-31'"),
        ("12", "'1999-12-31 18:30:00+00'", "'2024-12-30 12:00:00'", "'2024-12-30'"),
        ("13", "'2021-01-03 23:45:00+00'", "'2021-01-03 12:00:00'", "'2021-01-03'"),
        ("14", "NULL", "NULL", "NULL"),
    ),
)

# The demo's products: tags ARRAY<STRING> and attrs JSON (jsonb in PostgreSQL). BigQuery
# arrays hold no NULLs, and its JSON numbers print as written here (plain notation).
PRODUCTS = FixtureTable(
    "products",
    (("id", "INT64"), ("name", "STRING"), ("price", "NUMERIC"), ("tags", "ARRAY<STRING>"), ("attrs", "JSON")),
    (
        (
            "1",
            "'lamp'",
            "19.99",
            "ARRAY['home','sale']",
            """'{"color": "red", "weight_g": 1200, "d": {"h": 30}}'""",
        ),
        (
            "2",
            "'desk'",
            "250.00",
            "ARRAY['office']",
            """'{"color": "oak", "weight_g": 25000, "sizes": [1,2]}'""",
        ),
        ("3", "'pen'", "1.50", "ARRAY['office','sale','gift']", """'{"color": "blue", "refill": true}'"""),
        ("4", "'mug'", "8.00", "ARRAY[]::text[]", """'{"color": null, "weight_g": 350}'"""),
        ("5", "'sofa'", "NULL", "NULL", "NULL"),
        ("6", "'Rug ü'", "99.90", "ARRAY['home','Sale']", """'{"weight_g": 0, "note": "a \\"q\\" b"}'"""),
        ("7", "'lamp'", "21.00", "ARRAY['home']", """'{"color": "red", "weight_g": -5, "ratio": 0.25}'"""),
    ),
)

# Money and rates with declared scales: ties at the rounding digit (12.35 * 0.5 = 6.175,
# 19.99 * 0.05 = 0.9995), negatives, zeros, large values.
LEDGER = FixtureTable(
    "ledger",
    (("id", "INT64"), ("price", "NUMERIC(15,2)"), ("rate", "NUMERIC(10,4)"), ("qty", "INT64")),
    (
        ("1", "19.99", "0.0500", "3"),
        ("2", "-250.00", "1.2345", "-7"),
        ("3", "0.05", "-0.0005", "0"),
        ("4", "1000000.00", "0.3333", "2"),
        ("5", "NULL", "NULL", "NULL"),
        ("6", "0.00", "0.0000", "1"),
        ("7", "12.35", "0.5000", "5"),
        ("8", "-0.01", "-9.9999", "11"),
    ),
)

TABLES = (CUSTOMERS, ORDERS, NUMS, EVENTS, PRODUCTS, LEDGER)


def table_meta(table: FixtureTable) -> TableMeta:
    # "id" is never NULL in any fixture table: REQUIRED, as a BigQuery key column would be.
    fields = tuple(_field(name, bq) for name, bq in table.columns)
    return TableMeta("shop", table.name, "TABLE", fields)


def _field(name: str, bq: str) -> Field:
    mode = "REQUIRED" if name == "id" else "NULLABLE"
    if bq.startswith("NUMERIC("):
        precision, scale = bq[len("NUMERIC(") : -1].split(",")
        return Field(name, "NUMERIC", mode, None, int(precision), int(scale))
    return Field(name, bq, mode)


class FixtureSchema:
    """A SchemaLookup over the fixture tables (dataset "shop", plus an empty "other")."""

    def __init__(self, tables: Sequence[FixtureTable] = TABLES) -> None:
        self._tables = {("shop", t.name): table_meta(t) for t in tables}

    def table(self, dataset: str, name: str) -> TableMeta | None:
        return self._tables.get((dataset, name))

    def datasets(self) -> Sequence[str]:
        return ("shop", "other")


def _ddl(table: FixtureTable, engine: int) -> str:
    columns = ", ".join(f'"{name}" {_TYPES[bq][engine]}' for name, bq in table.columns)
    return f"CREATE TABLE shop.{table.name} ({columns})"


def _insert(table: FixtureTable, engine: int) -> str:
    rows = []
    for row in table.rows:
        cells = []
        for (_name, bq), cell in zip(table.columns, row, strict=True):
            cells.append(_cell(cell, bq, engine))
        rows.append("(" + ", ".join(cells) + ")")
    return f"INSERT INTO shop.{table.name} VALUES " + ", ".join(rows)


def _cell(cell: str, bq: str, engine: int) -> str:
    if cell == "NULL":
        return f"CAST(NULL AS {_TYPES[bq][engine]})"
    if bq == "NUMERIC" and engine == 0:
        # BigQuery NUMERIC has no display scale: the gateway prints 5.00 as 5, so PostgreSQL
        # holds the values with their trailing zeros trimmed (dscale = significant decimals).
        return f"trim_scale(CAST({cell} AS numeric))"
    if bq.startswith("ARRAY") and engine == 1:
        return cell.replace("ARRAY[", "[").replace("::text[]", "::VARCHAR[]")
    return f"CAST({cell} AS {_TYPES[bq][engine]})"


def setup_sql(engine: str) -> list[str]:
    """DDL + inserts for 'postgres' or 'duckdb'."""
    index = 0 if engine == "postgres" else 1
    statements = ["DROP SCHEMA IF EXISTS shop CASCADE", "CREATE SCHEMA shop"]
    for table in TABLES:
        statements += [_ddl(table, index), _insert(table, index)]
    return statements
