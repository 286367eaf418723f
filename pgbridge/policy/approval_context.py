"""What an approver is shown beside an approval request, kept next to the request itself.

An approval request (pgbridge.policy.approvals) holds what identifies it: requester, the
translated SQL, the parameters' digest, the rule. An approver on call needs more to decide:
the SQL as the client wrote it, the roles, the dry-run bytes, the masks and row filters that
will apply, whether the client waits. The pipeline writes that here when it asks for a new
request (pgbridge.server.approval), in the same SQLite file as the store, so the console of any
gateway sharing the file, and the CLI's host, see it. Plain JSON; no secrets (principal fields
only, parameter values never).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from pgbridge.policy.approvals import sqlite_connection

_SCHEMA = """
CREATE TABLE IF NOT EXISTS approval_context (
    id TEXT PRIMARY KEY,
    recorded_at REAL NOT NULL,
    context TEXT NOT NULL
);
"""


class SqliteRequestContexts:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with sqlite_connection(self.path) as conn:
            conn.executescript(_SCHEMA)

    def add(self, request_id: str, context: Mapping[str, object]) -> bool:
        """Keep `context` for a request; True only the first time (so it is announced once)."""
        with sqlite_connection(self.path) as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO approval_context (id, recorded_at, context) VALUES (?, ?, ?)",
                (request_id, time.time(), json.dumps(context, sort_keys=True, default=str)),
            )
            return cursor.rowcount == 1

    def get_many(self, request_ids: Iterable[str]) -> dict[str, dict[str, object]]:
        ids = list(request_ids)
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        with sqlite_connection(self.path) as conn:
            rows = conn.execute(f"SELECT id, context FROM approval_context WHERE id IN ({marks})", ids)
            found: dict[str, dict[str, object]] = {r: json.loads(t) for r, t in rows.fetchall()}
            return found


_lock = threading.Lock()
_by_path: dict[Path, SqliteRequestContexts] = {}


def contexts_for(store: object) -> SqliteRequestContexts | None:
    """The context table beside `store`'s file; None for a store that is not a local file (a
    shared database store would carry its own)."""
    path = getattr(store, "path", None)
    if not isinstance(path, Path):
        return None
    with _lock:
        found = _by_path.get(path)
        if found is None:
            found = _by_path[path] = SqliteRequestContexts(path)
        return found
