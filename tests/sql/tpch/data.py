"""TPC-H data from `tpchgen-cli`, loaded into a real PostgreSQL and into a DuckDB warehouse.

Both sides get the same types, as a BigQuery dataset would hold them: keys and counts INT64
(PostgreSQL bigint), money and quantities NUMERIC(15, 2), dates DATE, the rest STRING (text).
The specification's columns are NOT NULL; so are these (BigQuery mode REQUIRED).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg

SCALE_FACTOR = "0.01"  # lineitem: 60,175 rows; the whole set loads in about a second

_MONEY = "NUMERIC(15,2)"
TABLES: dict[str, list[tuple[str, str]]] = {
    "region": [("r_regionkey", "BIGINT"), ("r_name", "TEXT"), ("r_comment", "TEXT")],
    "nation": [
        ("n_nationkey", "BIGINT"),
        ("n_name", "TEXT"),
        ("n_regionkey", "BIGINT"),
        ("n_comment", "TEXT"),
    ],
    "part": [
        ("p_partkey", "BIGINT"),
        ("p_name", "TEXT"),
        ("p_mfgr", "TEXT"),
        ("p_brand", "TEXT"),
        ("p_type", "TEXT"),
        ("p_size", "BIGINT"),
        ("p_container", "TEXT"),
        ("p_retailprice", _MONEY),
        ("p_comment", "TEXT"),
    ],
    "supplier": [
        ("s_suppkey", "BIGINT"),
        ("s_name", "TEXT"),
        ("s_address", "TEXT"),
        ("s_nationkey", "BIGINT"),
        ("s_phone", "TEXT"),
        ("s_acctbal", _MONEY),
        ("s_comment", "TEXT"),
    ],
    "partsupp": [
        ("ps_partkey", "BIGINT"),
        ("ps_suppkey", "BIGINT"),
        ("ps_availqty", "BIGINT"),
        ("ps_supplycost", _MONEY),
        ("ps_comment", "TEXT"),
    ],
    "customer": [
        ("c_custkey", "BIGINT"),
        ("c_name", "TEXT"),
        ("c_address", "TEXT"),
        ("c_nationkey", "BIGINT"),
        ("c_phone", "TEXT"),
        ("c_acctbal", _MONEY),
        ("c_mktsegment", "TEXT"),
        ("c_comment", "TEXT"),
    ],
    "orders": [
        ("o_orderkey", "BIGINT"),
        ("o_custkey", "BIGINT"),
        ("o_orderstatus", "TEXT"),
        ("o_totalprice", _MONEY),
        ("o_orderdate", "DATE"),
        ("o_orderpriority", "TEXT"),
        ("o_clerk", "TEXT"),
        ("o_shippriority", "BIGINT"),
        ("o_comment", "TEXT"),
    ],
    "lineitem": [
        ("l_orderkey", "BIGINT"),
        ("l_partkey", "BIGINT"),
        ("l_suppkey", "BIGINT"),
        ("l_linenumber", "BIGINT"),
        ("l_quantity", _MONEY),
        ("l_extendedprice", _MONEY),
        ("l_discount", _MONEY),
        ("l_tax", _MONEY),
        ("l_returnflag", "TEXT"),
        ("l_linestatus", "TEXT"),
        ("l_shipdate", "DATE"),
        ("l_commitdate", "DATE"),
        ("l_receiptdate", "DATE"),
        ("l_shipinstruct", "TEXT"),
        ("l_shipmode", "TEXT"),
        ("l_comment", "TEXT"),
    ],
}


def generate(directory: Path, scale_factor: str = SCALE_FACTOR) -> Path:
    """CSV files (with a header row), one per table, written by tpchgen-cli."""
    exe = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [exe, "csv", "-s", scale_factor, "--output-dir", str(directory), "--overwrite"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return directory


def _ddl(schema: str, table: str, duck: bool) -> str:
    columns = []
    for name, kind in TABLES[table]:
        kind = kind.replace("NUMERIC", "DECIMAL").replace("TEXT", "VARCHAR") if duck else kind
        columns.append(f"{name} {kind} NOT NULL")
    return f"CREATE TABLE {schema}.{table} ({', '.join(columns)})"


def load_postgres(dsn: str, csv_dir: Path, schema: str = "tpch") -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
        for table in TABLES:
            conn.execute(_ddl(schema, table, duck=False))
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY {schema}.{table} FROM STDIN (FORMAT csv, HEADER)") as copy,
            ):
                copy.write((csv_dir / f"{table}.csv").read_bytes())
        for index, (table, columns) in enumerate(_INDEXES):
            conn.execute(f"CREATE INDEX tpch_{index} ON {schema}.{table} ({columns})")
        for table in TABLES:
            conn.execute(f"ANALYZE {schema}.{table}")


# Speed only, for PostgreSQL's plans of the correlated subqueries (Q2, Q17, Q20, Q21, Q22:
# without them Q20 alone takes minutes); the rows are the same either way.
_INDEXES = [
    ("lineitem", "l_partkey, l_suppkey"),
    ("lineitem", "l_orderkey"),
    ("orders", "o_custkey"),
    ("partsupp", "ps_partkey, ps_suppkey"),
]


def build_duckdb(path: Path, csv_dir: Path, schema: str = "tpch") -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(f"CREATE SCHEMA {schema}")
        for table in TABLES:
            con.execute(_ddl(schema, table, duck=True))
            con.execute(f"COPY {schema}.{table} FROM '{csv_dir / (table + '.csv')}' (FORMAT csv, HEADER)")
        con.execute("CHECKPOINT")
    finally:
        con.close()
