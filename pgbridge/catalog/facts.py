"""Facts of PostgreSQL 15 the engine needs at runtime, read from the generated data file.

data/pg15_catalog.json was copied from a real PostgreSQL 15 by gen_catalog_data.py: the
columns (and client-visible types) of every emulated relation, built-in rows (pg_type,
pg_am, pg_proc, ...), format_type() of each known type, and the keyword list. This module
only loads it and offers lookups; nothing here talks to a server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pgbridge.typemap import PG_TYPES, PG_TYPES_BY_OID, PgType

DATA_FILE = Path(__file__).parent / "data" / "pg15_catalog.json"
TYPE_IO_FILE = Path(__file__).parent / "data" / "pg15_type_io_procs.json"


@dataclass(frozen=True)
class Facts:
    relations: dict[str, tuple[tuple[str, PgType], ...]]  # "pg_catalog.pg_class" -> columns
    rows: dict[str, list[dict[str, Any]]]  # built-in rows, by relation
    types_by_oid: dict[int, PgType]
    types_by_name: dict[str, PgType]
    type_display: dict[int, str]  # format_type(oid, NULL)
    keywords: tuple[tuple[str, str, str], ...]
    relation_oids: dict[str, int]  # "pg_catalog.pg_class" -> 1259
    generated_by: str


@cache
def load_facts() -> Facts:
    raw = json.loads(DATA_FILE.read_text())
    types_by_oid = dict(PG_TYPES_BY_OID)
    for row in raw["rows"]["pg_catalog.pg_type"]:
        if row["oid"] not in types_by_oid:
            types_by_oid[row["oid"]] = PgType(
                row["oid"],
                row["typname"],
                row["typlen"],
                row["typarray"],
                row["typelem"] if row["typlen"] == -1 else 0,
            )
    types_by_name = {t.name: t for t in types_by_oid.values()} | dict(PG_TYPES)
    relations = {
        name: tuple((col, types_by_oid[oid]) for col, oid in cols) for name, cols in raw["relations"].items()
    }
    return Facts(
        relations=relations,
        rows=raw["rows"],
        types_by_oid=types_by_oid,
        types_by_name=types_by_name,
        type_display={int(k): v for k, v in raw["type_display"].items()},
        keywords=tuple(tuple(k) for k in raw["keywords"]),
        relation_oids=raw["relation_oids"],
        generated_by=raw["generated_by"],
    )


@cache
def type_io_procs() -> dict[int, str]:
    """oid -> name of the types' I/O functions (int8recv, array_recv, numeric_out, ...): not in
    pg_proc (only the functions the engine runs are), but named by pg_type's regproc columns,
    which clients read (ADBC maps each type by its typreceive name)."""
    return {int(oid): name for oid, name in json.loads(TYPE_IO_FILE.read_text()).items()}


# PostgreSQL's pseudo-types (pg_type.dat, fixed OIDs). No column has one, so pg_type does not
# list them, but clients name them in casts: pgcli's function listing filters on
# `prorettype::regtype != 'trigger'::regtype`.
PSEUDO_TYPES = {
    "pg_ddl_command": 32,
    "table_am_handler": 269,
    "index_am_handler": 325,
    "record": 2249,
    "cstring": 2275,
    "any": 2276,
    "anyarray": 2277,
    "void": 2278,
    "trigger": 2279,
    "language_handler": 2280,
    "internal": 2281,
    "anyelement": 2283,
    "anynonarray": 2776,
    "fdw_handler": 3115,
    "tsm_handler": 3310,
    "anyenum": 3500,
    "anyrange": 3831,
    "event_trigger": 3838,
    "anymultirange": 4537,
    "anycompatiblemultirange": 4538,
    "anycompatible": 5077,
    "anycompatiblearray": 5078,
    "anycompatiblenonarray": 5079,
    "anycompatiblerange": 5080,
}

# Spellings a query may use for a type, beyond pg_type.typname (format_type / SQL names).
TYPE_ALIASES = {
    "integer": "int4",
    "int": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "real": "float4",
    "double precision": "float8",
    "double": "float8",
    "boolean": "bool",
    "character varying": "varchar",
    "character": "bpchar",
    "decimal": "numeric",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time without time zone": "time",
    '"char"': "char",
    "char": "bpchar",  # unquoted CHAR is SQL's character(1); only "char" is the one-byte internal type
    "string": "text",
}


_TYPMOD = re.compile(r"\s*\(\s*\d+\s*(?:,\s*\d+\s*)?\)")


def type_by_name(name: str) -> PgType | None:
    """A type from its SQL spelling: 'pg_catalog.int2[]', 'INTEGER', 'regclass', '"char"'."""
    facts = load_facts()
    spelled = name.strip().lower().removeprefix("pg_catalog.").strip()
    spelled = _TYPMOD.sub("", spelled)  # varchar(10), numeric(10,2): the modifier does not change the type
    if spelled.endswith("[]"):
        element = type_by_name(spelled[:-2])
        return facts.types_by_oid.get(element.array_oid) if element and element.array_oid else None
    spelled = TYPE_ALIASES.get(spelled, spelled).strip('"')
    return facts.types_by_name.get(spelled)
