"""One in-memory DuckDB database holding a Snapshot as real relations.

DuckDB's own pg_catalog and information_schema live in its read-only system catalog, so ours
are created as the schemas `pgc` (pg_catalog) and `pgi` (information_schema); the rewriter
points every catalog reference at them. Every column has the DuckDB type that stores its
PostgreSQL type (oid and reg* as UINTEGER, name / "char" as VARCHAR, int2vector as
SMALLINT[], ...); the PostgreSQL type itself is tracked outside DuckDB, by the type inference.
Relations that vary per session (pg_roles, pg_user, pg_database, pg_settings and the
information_schema catalog columns) are views over DuckDB variables the engine sets per query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa

from pgbridge.backends.duckdb import lock_down
from pgbridge.backends.duckdb_limits import EngineLimits
from pgbridge.catalog.facts import PSEUDO_TYPES, TYPE_ALIASES, load_facts, type_io_procs
from pgbridge.catalog.functions import MACROS
from pgbridge.catalog.info_schema import info_views
from pgbridge.catalog.snapshot import OWNER, OWNER_OID, Snapshot
from pgbridge.catalog.storage import arrow_type
from pgbridge.typemap import PgType

SCHEMA_OF = {"pg_catalog": "pgc", "information_schema": "pgi"}
DEFAULT_LIMITS = EngineLimits(memory_limit="256MB", threads=1)  # [catalog] memory_limit, threads
_SESSION_VIEWS = (
    "pg_catalog.pg_roles",
    "pg_catalog.pg_user",
    "pg_catalog.pg_authid",
    "pg_catalog.pg_database",
    "pg_catalog.pg_settings",
)

def _default(pg: PgType) -> Any:
    """A column value PostgreSQL itself would show for an object pgbridge says nothing about."""
    if pg.element_oid or pg.name in ("int2vector", "oidvector"):
        return None
    if pg.name == "bool":
        return False
    if pg.name in ("char",):
        return ""
    if pa.types.is_integer(arrow_type(pg)) or pa.types.is_floating(arrow_type(pg)):
        return 0
    return None


def _table(columns: tuple[tuple[str, PgType], ...], rows: list[dict[str, Any]]) -> pa.Table:
    arrays = []
    for name, pg in columns:
        default = _default(pg)
        values = [row.get(name, default) for row in rows]
        arrays.append(pa.array(values, type=arrow_type(pg)))
    return pa.Table.from_arrays(arrays, names=[name for name, _ in columns])


def build_database(snap: Snapshot, limits: EngineLimits = DEFAULT_LIMITS) -> duckdb.DuckDBPyConnection:
    """The snapshot as a locked-down in-memory DuckDB, bounded by `limits` (memory, threads;
    no spilling: a catalog database has nowhere on disk to write)."""
    facts = load_facts()
    con = duckdb.connect(":memory:", config=limits.connect_config())
    con.execute("CREATE SCHEMA pgc; CREATE SCHEMA pgi; CREATE SCHEMA pgb")
    for relation, columns in facts.relations.items():
        schema, name = relation.split(".")
        target = f"pgb.{name}_base" if relation in _SESSION_VIEWS else f"{SCHEMA_OF[schema]}.{name}"
        if relation not in info_views():
            _create(con, target, _table(columns, snap.rows.get(relation, [])))
    _helper_tables(con, snap)
    _session_views(con)
    for sql in MACROS:
        con.execute(sql)
    for relation, sql in info_views().items():
        con.execute(f"CREATE VIEW pgi.{relation.split('.')[1]} AS {sql}")
    lock_down(con)
    return con


def _create(con: duckdb.DuckDBPyConnection, target: str, data: pa.Table) -> None:
    """A DuckDB table holding data (copied: the Arrow table may go away afterwards)."""
    con.register("pgb_source", data)
    try:
        con.execute(f"CREATE TABLE {target} AS SELECT * FROM pgb_source")
    finally:
        con.unregister("pgb_source")


def _helper_tables(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    facts = load_facts()
    names = list(snap.class_names.values())
    _create(con, "pgb.type_display", _by_oid(facts.type_display, "display", pa.string()))
    _create(
        con,
        "pgb.class_names",
        pa.table(
            {
                "oid": pa.array(list(snap.class_names), pa.uint32()),
                "nspoid": pa.array([snap.namespaces.get(s, 0) for s, _ in names], pa.uint32()),
                "nspname": pa.array([s for s, _ in names], pa.string()),
                "relname": pa.array([r for _, r in names], pa.string()),
            }
        ),
    )
    _create(con, "pgb.type_names", _type_names())
    io_procs = type_io_procs()
    _create(
        con,
        "pgb.type_io_procs",
        pa.table({"oid": pa.array(list(io_procs), pa.uint32()), "name": pa.array(list(io_procs.values()))}),
    )
    _create(con, "pgb.proc_args", _proc_args())
    keyword_columns = ("word", "catcode", "barelabel", "catdesc", "baredesc")  # pg_get_keywords()
    _create(
        con,
        "pgb.keywords",
        pa.table({k: [row[i] for row in facts.keywords] for i, k in enumerate(keyword_columns)}),
    )
    _create(con, "pgb.relation_bytes", _by_oid(snap.relation_bytes, "bytes", pa.int64()))
    # The session's role is added by the views below; the owner role is always there.
    con.execute(
        f"INSERT INTO pgb.pg_roles_base (oid, rolname, rolinherit, rolcanlogin, rolconnlimit) "
        f"VALUES ({OWNER_OID}, '{OWNER}', true, false, -1), (6171, 'pg_database_owner', false, false, -1)"
    )
    con.execute(
        "INSERT INTO pgb.pg_database_base (oid, datdba, encoding, datlocprovider, datistemplate, datcollate, "
        "datctype, datallowconn, datconnlimit, dattablespace) VALUES (16384, 10, 6, 'c', false, 'C', 'C', "
        "true, -1, 1663)"
    )


def _by_oid(values: Mapping[int, object], column: str, arrow: pa.DataType) -> pa.Table:
    """A lookup keyed by OID as a two-column table: oid, `column`."""
    oids = pa.array(list(values), pa.uint32())
    return pa.table({"oid": oids, column: pa.array(list(values.values()), arrow)})


def _session_views(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE VIEW pgc.pg_roles AS
        SELECT * FROM pgb.pg_roles_base
        UNION ALL SELECT * REPLACE (getvariable('pgb_user_oid')::UINTEGER AS oid,
            getvariable('pgb_user') AS rolname,
                                    true AS rolcanlogin)
        FROM pgb.pg_roles_base WHERE getvariable('pgb_user_oid') <> oid""")
    con.execute(
        """CREATE VIEW pgc.pg_authid AS SELECT * REPLACE (NULL AS rolpassword) FROM pgb.pg_authid_base"""
    )
    con.execute("""CREATE VIEW pgc.pg_user AS
        SELECT rolname AS usename, oid AS usesysid, rolcreatedb AS usecreatedb, rolsuper AS usesuper,
               rolreplication AS userepl, rolbypassrls AS usebypassrls, '********' AS passwd,
               rolvaliduntil AS valuntil, rolconfig AS useconfig
        FROM pgc.pg_roles WHERE rolcanlogin""")
    con.execute("""CREATE VIEW pgc.pg_database AS
        SELECT * REPLACE (getvariable('pgb_database') AS datname) FROM pgb.pg_database_base""")
    con.execute("""CREATE VIEW pgc.pg_settings AS
        SELECT * REPLACE (coalesce(getvariable('pgb_settings')[name], setting) AS setting)
        FROM pgb.pg_settings_base""")


def _type_names() -> pa.Table:
    """Every spelling to_regtype() accepts for a known type: typname, format_type, aliases."""
    facts = load_facts()
    names: dict[str, int] = {}
    for oid, pg in facts.types_by_oid.items():
        names.setdefault(pg.name, oid)
        names.setdefault(f"pg_catalog.{pg.name}", oid)
        if oid in facts.type_display:
            names.setdefault(facts.type_display[oid], oid)
    for alias, name in TYPE_ALIASES.items():
        aliased = facts.types_by_name.get(name)
        if aliased is not None:
            names.setdefault(alias, aliased.oid)
            if aliased.array_oid:
                names.setdefault(alias + "[]", aliased.array_oid)
    for pseudo, oid in PSEUDO_TYPES.items():
        names.setdefault(pseudo, oid)
    return pa.table(
        {"name": pa.array(list(names), pa.string()), "oid": pa.array(list(names.values()), pa.uint32())}
    )


def _proc_args() -> pa.Table:
    facts = load_facts()
    rows = facts.rows["pg_catalog.pg_proc"]
    args = [", ".join(facts.type_display.get(t, str(t)) for t in (r["proargtypes"] or [])) for r in rows]
    return pa.table(
        {"oid": pa.array([r["oid"] for r in rows], pa.uint32()), "args": pa.array(args, pa.string())}
    )
