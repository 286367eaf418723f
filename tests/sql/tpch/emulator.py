"""The TPC-H tables in the BigQuery emulator: NUMERIC(15, 2) money, the same rows as the
DuckDB warehouse (exported to Parquet, loaded through the real google-cloud-bigquery client)."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from google.cloud import bigquery

from pgbridge.demo.config_text import render
from tests.e2e.configs import bigquery_backend_section
from tests.sql.tpch.data import TABLES

_BIGQUERY_TYPES = {"BIGINT": "INT64", "TEXT": "STRING", "DATE": "DATE", "NUMERIC(15,2)": "NUMERIC(15, 2)"}
_DUCKDB_BACKEND = '[backend]\nkind = "duckdb"\n\n[backend.duckdb]\ndatabase = "warehouse.duckdb"\n'


def seed_tpch(client: bigquery.Client, warehouse: Path, dataset: str) -> None:
    client.query(f"CREATE SCHEMA IF NOT EXISTS {dataset}").result(timeout=30)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table, columns in TABLES.items():
            spelled = ", ".join(f"{name} {_BIGQUERY_TYPES[kind]} NOT NULL" for name, kind in columns)
            client.query(f"CREATE TABLE {dataset}.{table} ({spelled})").result(timeout=30)
            buffer = io.BytesIO()
            pq.write_table(con.sql(f"SELECT * FROM {dataset}.{table}").to_arrow_table(), buffer)
            buffer.seek(0)
            config = bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.PARQUET)
            client.load_table_from_file(buffer, f"{dataset}.{table}", job_config=config).result(timeout=120)
    finally:
        con.close()


def emulator_config(project: str, api_endpoint: str, storage_endpoint: str, dataset: str) -> str:
    """The demo configuration on the emulator, `dataset` the default (public maps to it)."""
    text = render("127.0.0.1", 0).replace("port = 0\n", "port = {port}\n", 1)
    if text.count(_DUCKDB_BACKEND) != 1:
        raise RuntimeError("the demo config's [backend] section changed; update tests/sql/tpch/emulator.py")
    section = bigquery_backend_section(project, api_endpoint, storage_endpoint, query_timeout_seconds=120)
    text = text.replace(_DUCKDB_BACKEND, section)
    return text.replace('default_dataset = "shop"', f'default_dataset = "{dataset}"')
