"""information_schema views over our pg_catalog relations (SQL run inside DuckDB).

Each view is generated so that its columns are exactly those of PostgreSQL 15's view, in
order (facts.relations); the columns pgbridge has something to say about get an expression,
every other column is NULL of the right storage type. Constraint views are empty: BigQuery
enforces no keys.
"""

from __future__ import annotations

from functools import cache

from pgbridge.catalog.facts import load_facts
from pgbridge.catalog.storage import arrow_type, duck_type

_CATALOG = "getvariable('pgb_database')"

_SCHEMATA = (
    {"catalog_name": _CATALOG, "schema_name": "n.nspname", "schema_owner": "'pgbridge'"},
    "pgc.pg_namespace n",
)
_TABLES = (
    {
        "table_catalog": _CATALOG,
        "table_schema": "n.nspname",
        "table_name": "c.relname",
        "table_type": "CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN' ELSE 'BASE TABLE' END",
        "is_insertable_into": "'NO'",
        "is_typed": "'NO'",
    },
    "pgc.pg_class c JOIN pgc.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v', "
    "'m', 'f', 'p')",
)
_COLUMNS = (
    {
        "table_catalog": _CATALOG,
        "table_schema": "n.nspname",
        "table_name": "c.relname",
        "column_name": "a.attname",
        "ordinal_position": "a.attnum::INTEGER",
        "is_nullable": "CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END",
        "data_type": "CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY' ELSE d.display END",
        "numeric_precision_radix": "CASE WHEN a.atttypid IN (20, 21, 23, 700, 701) THEN 2 WHEN "
        "a.atttypid = 1700 "
        "THEN 10 END",
        "numeric_precision": "CASE a.atttypid WHEN 20 THEN 64 WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN "
        "700 THEN 24 "
        "WHEN 701 THEN 53 "
        "WHEN 1700 THEN CASE WHEN a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END END",
        "numeric_scale": "CASE WHEN a.atttypid IN (20, 21, 23) THEN 0 "
        "WHEN a.atttypid = 1700 AND a.atttypmod >= 4 THEN (a.atttypmod - 4) & 65535 END",
        "datetime_precision": "CASE WHEN a.atttypid IN (1082) THEN 0 WHEN a.atttypid IN (1083, "
        "1114, 1184, 1186) "
        "THEN 6 END",
        "udt_catalog": _CATALOG,
        "udt_schema": "'pg_catalog'",
        "udt_name": "t.typname",
        "dtd_identifier": "a.attnum::VARCHAR",
        "is_self_referencing": "'NO'",
        "is_identity": "'NO'",
        "identity_cycle": "'NO'",
        "is_generated": "'NEVER'",
        "is_updatable": "'NO'",
    },
    "pgc.pg_attribute a JOIN pgc.pg_class c ON c.oid = a.attrelid JOIN pgc.pg_namespace n ON n.oid "
    "= c.relnamespace "
    "JOIN pgc.pg_type t ON t.oid = a.atttypid LEFT JOIN pgb.type_display d ON d.oid = a.atttypid "
    "WHERE a.attnum > 0 AND NOT a.attisdropped",
)
_VIEWS = (
    {
        "table_catalog": _CATALOG,
        "table_schema": "n.nspname",
        "table_name": "c.relname",
        "check_option": "'NONE'",
        "is_updatable": "'NO'",
        "is_insertable_into": "'NO'",
        "is_trigger_updatable": "'NO'",
        "is_trigger_deletable": "'NO'",
        "is_trigger_insertable_into": "'NO'",
    },
    "pgc.pg_class c JOIN pgc.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v'",
)

_DEFINED = {"schemata": _SCHEMATA, "tables": _TABLES, "columns": _COLUMNS, "views": _VIEWS}


def _view_sql(relation: str, defined: tuple[dict[str, str], str] | None) -> str:
    exprs, source = defined if defined else ({}, "(SELECT 1) AS nothing WHERE false")
    columns = load_facts().relations[relation]
    select = []
    for name, pg in columns:
        duck = duck_type(arrow_type(pg))
        select.append(f'CAST({exprs.get(name, "NULL")} AS {duck}) AS "{name}"')
    return f"SELECT {', '.join(select)} FROM {source}"


@cache
def info_views() -> dict[str, str]:
    """information_schema relation -> the SELECT that defines it."""
    names = [r for r in load_facts().relations if r.startswith("information_schema.")]
    return {r: _view_sql(r, _DEFINED.get(r.split(".")[1])) for r in names}
