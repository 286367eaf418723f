"""The demo's `shop` dataset, copied from its DuckDB warehouse into the BigQuery emulator.

The two backends must hold the same rows for the suite to compare their answers, so the
emulator is not seeded from its own SQL but from the demo warehouse itself: each table's
columns are created with the BigQuery types the duckdb backend reports for them (one
mapping, pgbridge.backends.duckdb.bigquery_type), then its rows are exported to Parquet and
sent through the real google-cloud-bigquery client as a load job. All 1,000,000 orders are
loaded (about 2 s for the three tables on these machines), so no table is cut down.
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from google.cloud import bigquery

from pgbridge.backends.duckdb import bigquery_type

DATASET = "shop"
TABLES = ("customers", "orders", "products")
LOAD_TIMEOUT_SECONDS = 120


def seed_demo(client: bigquery.Client, warehouse: Path) -> None:
    """Create dataset `shop` and load customers, orders and products from `warehouse`."""
    client.query(f"CREATE SCHEMA IF NOT EXISTS {DATASET}").result(timeout=30)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'").fetchall()
        for table in TABLES:
            client.query(create_table_sql(con, table)).result(timeout=30)
            _load(client, con, table)
    finally:
        con.close()


def create_table_sql(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """CREATE TABLE in BigQuery SQL for one warehouse table, descriptions included."""
    rows = con.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [DATASET, table],
    ).fetchall()
    if not rows:
        raise RuntimeError(f"the demo warehouse has no table {DATASET}.{table}")
    columns = ", ".join(f"{name} {bigquery_type(kind)}{_options(comment)}" for name, kind, comment in rows)
    found = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [DATASET, table]
    ).fetchall()
    return f"CREATE TABLE {DATASET}.{table} ({columns}){_options(found[0][0] if found else None)}"


def _options(description: str | None) -> str:
    if not description:
        return ""
    return " OPTIONS (description = '" + description.replace("\\", "\\\\").replace("'", "\\'") + "')"


def _load(client: bigquery.Client, con: duckdb.DuckDBPyConnection, table: str) -> None:
    arrow = con.sql(f"SELECT * FROM {DATASET}.{table}").to_arrow_table()
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    buffer.seek(0)
    config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.PARQUET, write_disposition=bigquery.WriteDisposition.WRITE_APPEND
    )
    job = client.load_table_from_file(buffer, f"{DATASET}.{table}", job_config=config)
    job.result(timeout=LOAD_TIMEOUT_SECONDS)
    loaded = client.get_table(f"{DATASET}.{table}").num_rows
    if loaded != arrow.num_rows:
        raise RuntimeError(f"loaded {loaded} rows into {DATASET}.{table}, expected {arrow.num_rows}")
