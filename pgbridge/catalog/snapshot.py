"""The catalog rows one visibility set sees, built from backend metadata.

A Snapshot is pure data: the rows of pg_namespace, pg_class, pg_attribute, pg_description and
the other metadata-derived relations, plus name <-> OID lookups used by casts such as
'shop.orders'::regclass. Datasets become schemas; a dataset appears only when at least one of
its tables is visible. The default dataset is the schema `public` (README, "The public schema"):
tools that list `public` find its tables, and they are listed there only, never twice; its own
name still finds them ('shop.orders'::regclass, 'shop'::regnamespace).
Everything is owned by the role OWNER (OID 10, like PostgreSQL's bootstrap superuser).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pgbridge.backends.base import TableMeta
from pgbridge.catalog.facts import load_facts
from pgbridge.catalog.oids import OidRegistry
from pgbridge.typemap import pg_type_for

OWNER = "pgbridge"
OWNER_OID = 10
PG_CATALOG_OID = 11
PUBLIC_OID = 2200
PG_CLASS_OID = 1259  # classoid of relation comments in pg_description
PG_NAMESPACE_OID = 2615  # classoid of schema comments
_RELKIND = {"TABLE": "r", "EXTERNAL": "r", "VIEW": "v", "MATERIALIZED_VIEW": "m"}

Row = dict[str, Any]


@dataclass
class Snapshot:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    namespaces: dict[str, int] = field(default_factory=dict)  # schema name -> oid
    classes: dict[tuple[str, str], int] = field(default_factory=dict)  # (schema, relation) -> oid
    class_names: dict[int, tuple[str, str]] = field(default_factory=dict)
    relation_bytes: dict[int, int] = field(default_factory=dict)

    def add(self, relation: str, row: Row) -> None:
        self.rows.setdefault(relation, []).append(row)


def build_snapshot(tables: Iterable[TableMeta], public_dataset: str | None = None) -> Snapshot:
    facts = load_facts()
    snap = Snapshot()
    registry = OidRegistry()
    for relation, rows in facts.rows.items():
        snap.rows[relation] = [dict(r) for r in rows]
    for row in snap.rows["pg_catalog.pg_namespace"]:
        row["nspacl"] = None  # copied ACLs name the generating server's user
        snap.namespaces[row["nspname"]] = row["oid"]
    # PostgreSQL's own comment on public (pg_dump writes COMMENT ON SCHEMA public IS '' without it)
    snap.add(
        "pg_catalog.pg_description",
        {
            "objoid": PUBLIC_OID,
            "classoid": PG_NAMESPACE_OID,
            "objsubid": 0,
            "description": "standard public schema",
        },
    )
    for qualified, oid in _builtin_relation_oids().items():
        snap.classes[qualified] = oid
        snap.class_names[oid] = qualified
    for table in sorted(tables, key=lambda t: (t.dataset, t.name)):
        public = table.dataset == public_dataset
        _add_table(snap, registry, "public" if public else table.dataset, table)
        if public:  # the dataset's own name is a second name for lookups, never a listing
            snap.classes[(table.dataset, table.name)] = snap.classes[("public", table.name)]
            snap.namespaces.setdefault(table.dataset, PUBLIC_OID)
    return snap


def _builtin_relation_oids() -> dict[tuple[str, str], int]:
    facts = load_facts()
    out: dict[tuple[str, str], int] = {}
    for qualified, oid in facts.relation_oids.items():
        schema, name = qualified.split(".", 1)
        out[(schema, name)] = oid
    return out


def _namespace(snap: Snapshot, registry: OidRegistry, schema: str) -> int:
    if schema not in snap.namespaces:
        oid = registry.oid("namespace", schema)
        snap.namespaces[schema] = oid
        snap.add("pg_catalog.pg_namespace", {"oid": oid, "nspname": schema, "nspowner": OWNER_OID})
    return snap.namespaces[schema]


def _add_table(snap: Snapshot, registry: OidRegistry, schema: str, table: TableMeta) -> None:
    nsp = _namespace(snap, registry, schema)
    oid = registry.oid("class", schema, table.name)
    kind = _RELKIND[table.kind]
    snap.classes[(schema, table.name)] = oid
    snap.class_names[oid] = (schema, table.name)
    snap.relation_bytes[oid] = table.num_bytes or 0
    snap.add(
        "pg_catalog.pg_class",
        {
            "oid": oid,
            "relname": table.name,
            "relnamespace": nsp,
            "relowner": OWNER_OID,
            "relam": 2 if kind == "r" else 0,
            "reltuples": float(table.num_rows) if table.num_rows is not None else -1.0,
            "relpersistence": "p",
            "relkind": kind,
            "relnatts": len(table.fields),
            "relhasrules": kind == "v",
            "relispopulated": True,
            "relreplident": "d" if kind == "r" else "n",
        },
    )
    if table.description:
        snap.add(
            "pg_catalog.pg_description",
            {"objoid": oid, "classoid": PG_CLASS_OID, "objsubid": 0, "description": table.description},
        )
    for attnum, column in enumerate(table.fields, start=1):
        _add_column(snap, oid, attnum, column)
    _add_listing_rows(snap, schema, table, oid)


def _add_column(snap: Snapshot, relid: int, attnum: int, column: Any) -> None:
    pg = pg_type_for(column.type)
    type_row = _type_row(pg.oid)
    snap.add(
        "pg_catalog.pg_attribute",
        {
            "attrelid": relid,
            "attname": column.name,
            "atttypid": pg.oid,
            "attstattarget": -1,
            "attlen": pg.typlen,
            "attnum": attnum,
            "attndims": 1 if pg.element_oid else 0,
            "attcacheoff": -1,
            "atttypmod": -1,
            "attbyval": type_row["typbyval"],
            "attalign": type_row["typalign"],
            "attstorage": type_row["typstorage"],
            "attnotnull": column.mode == "REQUIRED",
            "attisdropped": False,
            "attislocal": True,
            "attcollation": type_row["typcollation"],
        },
    )
    if column.description:
        snap.add(
            "pg_catalog.pg_description",
            {
                "objoid": relid,
                "classoid": PG_CLASS_OID,
                "objsubid": attnum,
                "description": column.description,
            },
        )


def _type_row(oid: int) -> Row:
    for row in load_facts().rows["pg_catalog.pg_type"]:
        if row["oid"] == oid:
            return row
    raise KeyError(oid)


def _add_listing_rows(snap: Snapshot, schema: str, table: TableMeta, oid: int) -> None:
    """pg_tables / pg_views / pg_matviews / pg_stat_user_tables: PostgreSQL's own views, as rows."""
    if table.kind in ("TABLE", "EXTERNAL"):
        snap.add(
            "pg_catalog.pg_tables",
            {
                "schemaname": schema,
                "tablename": table.name,
                "tableowner": OWNER,
                "hasindexes": False,
                "hasrules": False,
                "hastriggers": False,
                "rowsecurity": False,
            },
        )
        snap.add(
            "pg_catalog.pg_stat_user_tables",
            {"relid": oid, "schemaname": schema, "relname": table.name, "n_live_tup": table.num_rows or 0},
        )
    elif table.kind == "VIEW":
        snap.add("pg_catalog.pg_views", {"schemaname": schema, "viewname": table.name, "viewowner": OWNER})
    else:
        snap.add(
            "pg_catalog.pg_matviews",
            {
                "schemaname": schema,
                "matviewname": table.name,
                "matviewowner": OWNER,
                "hasindexes": False,
                "ispopulated": True,
            },
        )
