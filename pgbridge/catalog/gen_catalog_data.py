"""Generate data/pg15_catalog.json from a real PostgreSQL 15 (developer tool, not runtime).

Usage: `.venv/bin/python -m pgbridge.catalog.gen_catalog_data [--type-io-only] postgresql://user@host:port/db`
(any throwaway PG 15, e.g. the one tests.support.postgres starts). The engine must answer
catalog questions with no PostgreSQL at hand, so the facts it cannot derive from backend
metadata are copied here once, from the real thing:

- every emulated relation's columns, with the type OIDs a client sees in RowDescription
  (read from `SELECT * ... LIMIT 0`, so domains already appear as their base types);
- the pg_type rows of every type the gateway can return, their array types and the types of
  catalog columns, plus format_type() of each;
- built-in rows clients join against: pg_am, pg_opclass, pg_collation, pg_range, pg_language,
  pg_tablespace, the pg_proc rows of the functions the engine implements, pg_settings rows
  (with the compiled-in boot values, never the generating server's own), pg_get_keywords().
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import psycopg

from pgbridge.typemap import PG_TYPES_BY_OID

OUT = Path(__file__).parent / "data" / "pg15_catalog.json"
# The names of the types' I/O functions (typinput, typoutput, typreceive, typsend), which
# pg_type's regproc columns show: ADBC maps a type by its typreceive name ('int8recv').
TYPE_IO_OUT = Path(__file__).parent / "data" / "pg15_type_io_procs.json"

RELATIONS = (
    "pg_catalog." + name
    for name in [
        "pg_namespace",
        "pg_class",
        "pg_attribute",
        "pg_description",
        "pg_shdescription",
        "pg_type",
        "pg_database",
        "pg_roles",
        "pg_user",
        "pg_authid",
        "pg_auth_members",
        "pg_settings",
        "pg_am",
        "pg_range",
        "pg_enum",
        "pg_proc",
        "pg_index",
        "pg_constraint",
        "pg_attrdef",
        "pg_collation",
        "pg_inherits",
        "pg_tables",
        "pg_views",
        "pg_matviews",
        "pg_indexes",
        "pg_stat_user_tables",
        "pg_statio_user_tables",
        "pg_extension",
        "pg_foreign_table",
        "pg_foreign_server",
        "pg_foreign_data_wrapper",
        "pg_partitioned_table",
        "pg_policy",
        "pg_statistic_ext",
        "pg_publication",
        "pg_publication_namespace",
        "pg_publication_rel",
        "pg_sequence",
        "pg_sequences",
        "pg_opclass",
        "pg_tablespace",
        "pg_trigger",
        "pg_rewrite",
        "pg_depend",
        "pg_language",
        "pg_event_trigger",
        "pg_cast",
        "pg_operator",
        "pg_conversion",
        "pg_stat_activity",
        "pg_locks",
        "pg_prepared_statements",
        "pg_timezone_names",
        # read by pg_dump (issue 12); empty here: pgbridge has none of these objects
        "pg_amop",
        "pg_amproc",
        "pg_default_acl",
        "pg_init_privs",
        "pg_opfamily",
        "pg_seclabels",
        "pg_subscription",
        "pg_transform",
        "pg_ts_config",
        "pg_ts_dict",
        "pg_ts_parser",
        "pg_ts_template",
    ]
)
INFO_RELATIONS = tuple(
    "information_schema." + name
    for name in [
        "schemata",
        "tables",
        "columns",
        "views",
        "table_constraints",
        "key_column_usage",
        "referential_constraints",
        "constraint_column_usage",
        "check_constraints",
        "routines",
        "parameters",
        "table_privileges",
        "column_privileges",
        "character_sets",
    ]
)

# The functions the engine answers; their pg_proc rows make \df and regproc casts honest.
PROC_NAMES = [
    "version",
    "current_schema",
    "current_schemas",
    "current_database",
    "current_setting",
    "set_config",
    "pg_get_userbyid",
    "pg_table_is_visible",
    "pg_type_is_visible",
    "pg_function_is_visible",
    "format_type",
    "pg_get_expr",
    "pg_get_constraintdef",
    "pg_get_indexdef",
    "pg_get_keywords",
    "pg_encoding_to_char",
    "obj_description",
    "col_description",
    "shobj_description",
    "has_table_privilege",
    "has_schema_privilege",
    "has_database_privilege",
    "has_column_privilege",
    "quote_ident",
    "parse_ident",
    "array_upper",
    "array_lower",
    "to_regtype",
    "to_regclass",
    "to_regproc",
    "to_regnamespace",
    "pg_get_serial_sequence",
    "pg_relation_size",
    "pg_total_relation_size",
    "pg_backend_pid",
    "pg_postmaster_start_time",
    "pg_is_in_recovery",
    "pg_get_function_result",
    "pg_get_function_arguments",
    "pg_get_viewdef",
    "now",
    "textregexeq",
    "int4in",
    "int4out",
    "array_in",
    "array_out",
    "textin",
    "textout",
]


def _dump_query(conn: psycopg.Connection[Any], relation: str, where: str = "true") -> list[dict[str, Any]]:
    """Rows as JSON, with reg* / vector / node-tree columns turned into plain oids, arrays, text."""
    cols = conn.execute(
        "SELECT a.attname, a.atttypid::regtype::text FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (relation,),
    ).fetchall()
    select = ", ".join(_plain(name, typ) for name, typ in cols)
    query = f"SELECT coalesce(json_agg(r), '[]') FROM (SELECT {select} FROM {relation} t WHERE {where}) r"
    return list(conn.execute(query).fetchone()[0])  # type: ignore[index]


def _plain(name: str, typ: str) -> str:
    col = f't."{name}"'
    # json_agg quotes oids; int8 keeps them numbers.
    if typ in ("oid", "regproc", "regclass", "regtype", "regnamespace", "regrole", "regprocedure"):
        return f'{col}::oid::int8 AS "{name}"'
    if typ in ("oidvector", "oid[]"):
        return f'{col}::oid[]::int8[] AS "{name}"'
    if typ == "int2vector":
        return f'{col}::int2[] AS "{name}"'
    if typ in ("pg_node_tree", "anyarray", "aclitem[]", "pg_lsn", "xid", "xid8"):
        return f'{col}::text AS "{name}"'
    return f'{col} AS "{name}"'


def _columns(conn: psycopg.Connection[Any], relation: str) -> list[list[Any]]:
    cursor = conn.execute(f"SELECT * FROM {relation} LIMIT 0")
    assert cursor.description is not None
    return [[d.name, d.type_code] for d in cursor.description]


def _type_oids(conn: psycopg.Connection[Any], relations: dict[str, list[list[Any]]]) -> list[int]:
    wanted = set(PG_TYPES_BY_OID) | {oid for cols in relations.values() for _, oid in cols}
    rows = conn.execute(
        "SELECT typarray FROM pg_type WHERE oid = ANY(%s) AND typarray <> 0", (sorted(wanted),)
    ).fetchall()
    wanted |= {r[0] for r in rows}
    return sorted(wanted)


def generate(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        relations = {rel: _columns(conn, rel) for rel in (*RELATIONS, *INFO_RELATIONS)}
        oids = ",".join(str(o) for o in _type_oids(conn, relations))
        procs = ",".join(f"'{p}'" for p in PROC_NAMES)
        return {
            "generated_by": "python -m pgbridge.catalog.gen_catalog_data against "
            + conn.execute("SELECT version()").fetchone()[0],  # type: ignore[index]
            "relations": relations,
            "rows": {
                "pg_catalog.pg_type": _dump_query(conn, "pg_catalog.pg_type", f"oid IN ({oids})"),
                "pg_catalog.pg_range": _dump_query(conn, "pg_catalog.pg_range", f"rngtypid IN ({oids})"),
                "pg_catalog.pg_am": _dump_query(conn, "pg_catalog.pg_am"),
                "pg_catalog.pg_opclass": _dump_query(conn, "pg_catalog.pg_opclass"),
                "pg_catalog.pg_collation": _dump_query(conn, "pg_catalog.pg_collation", "oid < 1000"),
                "pg_catalog.pg_language": _dump_query(conn, "pg_catalog.pg_language"),
                "pg_catalog.pg_tablespace": _dump_query(conn, "pg_catalog.pg_tablespace"),
                "pg_catalog.pg_namespace": _dump_query(
                    conn,
                    "pg_catalog.pg_namespace",
                    "nspname IN ('pg_catalog', 'information_schema', 'public')",
                ),
                "pg_catalog.pg_proc": _dump_query(
                    conn, "pg_catalog.pg_proc", f"pronamespace = 11 AND proname IN ({procs})"
                ),
                "pg_catalog.pg_settings": _settings(conn),
            },
            "type_display": dict(
                conn.execute(
                    f"SELECT oid::text, format_type(oid, NULL) FROM pg_type WHERE oid IN ({oids})"
                ).fetchall()
            ),
            "relation_oids": dict(
                conn.execute(
                    "SELECT n.nspname || '.' || c.relname, c.oid::int8 FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname || '.' || "
                    "c.relname = ANY(%s)",
                    (list(relations),),
                ).fetchall()
            ),
            "keywords": [list(r) for r in conn.execute("SELECT * FROM pg_get_keywords()").fetchall()],
        }


def _settings(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    rows = _dump_query(conn, "pg_catalog.pg_settings")
    for row in rows:
        # The generating server's own values (paths, ports) are not facts of Postgres.
        row["setting"] = row["reset_val"] = row["boot_val"]
        row["source"], row["sourcefile"], row["sourceline"], row["pending_restart"] = (
            "default",
            None,
            None,
            False,
        )
    return rows


def type_io_procs(dsn: str) -> dict[str, str]:
    """oid -> proname of every I/O function of the types in the facts file."""
    oids = [row["oid"] for row in json.loads(OUT.read_text())["rows"]["pg_catalog.pg_type"]]
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT p.oid::int8, p.proname FROM pg_type t JOIN pg_proc p ON p.oid IN "
            "(t.typinput, t.typoutput, t.typreceive, t.typsend) WHERE t.oid = ANY(%s) ORDER BY 1",
            (oids,),
        ).fetchall()
    return {str(oid): name for oid, name in rows}


def main() -> None:
    if sys.argv[1:2] != ["--type-io-only"]:
        data = generate(sys.argv[1])
        OUT.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")
        print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    TYPE_IO_OUT.write_text(json.dumps(type_io_procs(sys.argv[-1]), indent=0, sort_keys=True) + "\n")
    print(f"wrote {TYPE_IO_OUT}")


if __name__ == "__main__":
    main()
