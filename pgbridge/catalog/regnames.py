"""Name -> OID resolution for reg* casts of string constants ('shop.orders'::regclass).

Resolved while rewriting, so an unknown name fails with PostgreSQL's own error (42P01
`relation "x" does not exist`, 42704 for types) before anything runs. Identifiers follow
PostgreSQL: unquoted parts fold to lower case; an unqualified relation is searched in
pg_catalog, then the search_path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pgbridge.catalog.facts import PSEUDO_TYPES, load_facts, type_by_name, type_io_procs
from pgbridge.catalog.snapshot import Snapshot
from pgbridge.wire.errors import PgError, SqlState

_PART = re.compile(r'\s*("(?:[^"]|"")*"|[^."]+)\s*(?:\.|$)')


def split_name(text: str) -> list[str]:
    """'Shop."My Table"' -> ['shop', 'My Table']."""
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if not match or match.end() == pos:
            raise PgError(SqlState.INVALID_PARAMETER_VALUE, f'invalid name syntax: "{text}"')
        part = match.group(1)
        parts.append(part[1:-1].replace('""', '"') if part.startswith('"') else part.strip().lower())
        pos = match.end()
    return parts


def regclass_oid(snap: Snapshot, text: str, search_path: Sequence[str]) -> int:
    if text.strip().isdigit():
        return int(text)
    parts = split_name(text)
    if len(parts) == 3:
        parts = parts[1:]
    if len(parts) == 2:
        oid = snap.classes.get((parts[0], parts[1]))
    else:
        oid = next(
            (
                snap.classes[(s, parts[0])]
                for s in ("pg_catalog", *search_path)
                if (s, parts[0]) in snap.classes
            ),
            None,
        )
    if oid is None:
        raise PgError(SqlState.UNDEFINED_TABLE, f'relation "{text}" does not exist')
    return oid


def regtype_oid(text: str) -> int:
    if text.strip().isdigit():
        return int(text)
    pg = type_by_name(text)
    pseudo = PSEUDO_TYPES.get(text.strip().lower().removeprefix("pg_catalog.").strip('"'))
    if pg is None and pseudo is not None:
        return pseudo
    if pg is None:
        raise PgError(SqlState.UNDEFINED_OBJECT, f'type "{text}" does not exist')
    return pg.oid


def regnamespace_oid(snap: Snapshot, text: str) -> int:
    if text.strip().isdigit():
        return int(text)
    parts = split_name(text)
    if len(parts) != 1 or parts[0] not in snap.namespaces:
        raise PgError(SqlState.UNDEFINED_SCHEMA, f'schema "{text}" does not exist')
    return snap.namespaces[parts[0]]


def regproc_oid(text: str) -> int:
    if text.strip().isdigit():
        return int(text)
    name = split_name(text)[-1]
    for row in load_facts().rows["pg_catalog.pg_proc"]:
        if row["proname"] == name:
            return int(row["oid"])
    for oid, io_name in type_io_procs().items():
        if io_name == name:
            return oid
    raise PgError(SqlState.UNDEFINED_FUNCTION, f'function "{text}" does not exist')
