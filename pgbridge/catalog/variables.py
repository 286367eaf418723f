"""The session's values, as DuckDB `SET VARIABLE` statements the macros read.

Setting them per session (not splicing them into each query) keeps rewritten queries
independent of who asks, and keeps user-supplied strings out of SQL text: every value is
rendered as a sqlglot literal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlglot import exp

from pgbridge.catalog.api import CatalogSession
from pgbridge.catalog.facts import load_facts
from pgbridge.catalog.snapshot import PG_CATALOG_OID, Snapshot


def _literal(value: object) -> str:
    return exp.convert(value).sql("duckdb")


def session_variables(
    snap: Snapshot, session: CatalogSession, user_oid: int, search_path: Sequence[str], started: float
) -> list[str]:
    existing = [s for s in search_path if s in snap.namespaces]
    path_oids = [PG_CATALOG_OID] + [snap.namespaces[s] for s in existing if s != "pg_catalog"]
    settings = {
        row["name"]: row["setting"]
        for row in load_facts().rows["pg_catalog.pg_settings"]
        if row["setting"] is not None
    }
    settings.update({k.lower(): str(v) for k, v in session.settings.items()})
    values: dict[str, str] = {
        "pgb_user": _literal(session.user),
        "pgb_user_oid": f"{user_oid}::UINTEGER",
        "pgb_database": _literal(session.database),
        "pgb_current_schema": _literal(existing[0]) if existing else "NULL::VARCHAR",
        "pgb_schemas": _list(existing),
        "pgb_schemas_implicit": _list(["pg_catalog", *[s for s in existing if s != "pg_catalog"]]),
        "pgb_path_oids": "[" + ", ".join(str(o) for o in path_oids) + "]::UINTEGER[]",
        "pgb_settings": "MAP {"
        + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in settings.items())
        + "}"
        if settings
        else "MAP {'': ''}",
        "pgb_pid": f"{int(session.backend_pid)}::INTEGER",
        "pgb_start": _literal(datetime.fromtimestamp(started, UTC).isoformat()),
    }
    return [f"SET VARIABLE {name} = {value}" for name, value in values.items()]


def _list(names: Sequence[str]) -> str:
    return "[" + ", ".join(_literal(n) for n in names) + "]::VARCHAR[]"
