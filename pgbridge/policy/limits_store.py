"""Per-principal limits counted in a SQLite file, for a gateway of several worker processes.

The same limits as pgbridge.policy.limits (connections, queries per minute, bytes per day), but
counted where every worker of `serve --workers N` sees them: a principal's 20 connections are
20 across the workers, not 20 each. Each check-and-count is one short IMMEDIATE transaction,
so two workers cannot both take the last slot. Only principals that have a limit are counted:
an unlimited role costs no SQLite work per statement.

The counts are not evidence (the audit log is), so the file is written without fsync
(synchronous=OFF in WAL mode): a transaction is tens of microseconds, which is why it runs on the
event loop like the in-process tracker. A worker clears its own connection counts when it starts,
so a crashed worker's connections do not hold slots after the restart.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pgbridge.auth.principal import Principal
from pgbridge.policy.limits import _DAY, _MINUTE, LimitTracker, budget_exceeded
from pgbridge.policy.settings import PolicySettings
from pgbridge.wire.errors import PgError, SqlState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (worker INTEGER, subject TEXT, count INTEGER,
    PRIMARY KEY (worker, subject));
CREATE TABLE IF NOT EXISTS queries (subject TEXT, at REAL);
CREATE INDEX IF NOT EXISTS queries_by_subject ON queries (subject, at);
CREATE TABLE IF NOT EXISTS scanned (subject TEXT, day INTEGER, used INTEGER, PRIMARY KEY (subject, day));
"""


def limits_path(approvals_store: Path) -> Path:
    """The limits file lives beside the approvals store, which every worker reaches already."""
    return approvals_store.with_name("limits.sqlite")


class SharedLimitTracker(LimitTracker):
    def __init__(
        self, settings: PolicySettings, path: Path, worker: int, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(settings, clock)
        self.worker = worker
        self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)
        self._db.execute("DELETE FROM connections WHERE worker = ?", (worker,))
        self._write = threading.Lock()

    def _transaction(self, work: Callable[[sqlite3.Connection], object]) -> object:
        with self._write:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def open_connection(self, principal: Principal) -> None:
        limit = self.limits_for(principal).max_connections
        if limit is None:
            return
        subject = principal.subject

        def take(db: sqlite3.Connection) -> None:
            (held,) = db.execute(
                "SELECT coalesce(sum(count), 0) FROM connections WHERE subject = ?", (subject,)
            ).fetchone()
            if held >= limit:
                raise PgError(
                    SqlState.TOO_MANY_CONNECTIONS,
                    f"too many connections for {subject}: the limit is {limit}",
                    severity="FATAL",
                    hint="close an idle connection, or use a connection pool with fewer connections",
                )
            db.execute(
                "INSERT INTO connections VALUES (?, ?, 1) "
                "ON CONFLICT (worker, subject) DO UPDATE SET count = count + 1",
                (self.worker, subject),
            )

        self._transaction(take)

    def close_connection(self, principal: Principal) -> None:
        if self.limits_for(principal).max_connections is None:
            return
        self._transaction(
            lambda db: db.execute(
                "UPDATE connections SET count = count - 1 WHERE worker = ? AND subject = ? AND count > 0",
                (self.worker, principal.subject),
            )
        )

    def start_query(self, principal: Principal) -> None:
        limit = self.limits_for(principal).queries_per_minute
        if limit is None:
            return
        now, subject = self.clock(), principal.subject

        def count(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM queries WHERE subject = ? AND at <= ?", (subject, now - _MINUTE))
            held, oldest = db.execute(
                "SELECT count(*), min(at) FROM queries WHERE subject = ?", (subject,)
            ).fetchone()
            if held >= limit:
                raise PgError(
                    SqlState.CONFIGURATION_LIMIT_EXCEEDED,
                    f"query rate limit reached for {subject}: {limit} queries per minute",
                    hint=f"try again in {max(oldest + _MINUTE - now, 0.0):.0f} s",
                )
            db.execute("INSERT INTO queries VALUES (?, ?)", (subject, now))

        self._transaction(count)

    def check_bytes(self, principal: Principal, bytes_estimate: int) -> None:
        limit = self.limits_for(principal).bytes_per_day
        if limit is None:
            return
        used = self.bytes_today(principal)
        if used + bytes_estimate > limit:
            raise budget_exceeded(principal, used, limit, bytes_estimate)

    def record_bytes(self, principal: Principal, bytes_scanned: int) -> None:
        if self.limits_for(principal).bytes_per_day is None:
            return
        day = int(self.clock() // _DAY)
        self._transaction(
            lambda db: db.execute(
                "INSERT INTO scanned VALUES (?, ?, ?) "
                "ON CONFLICT (subject, day) DO UPDATE SET used = used + ?",
                (principal.subject, day, bytes_scanned, bytes_scanned),
            )
        )

    def bytes_today(self, principal: Principal) -> int:
        day = int(self.clock() // _DAY)
        with self._write:
            row = self._db.execute(
                "SELECT used FROM scanned WHERE subject = ? AND day = ?", (principal.subject, day)
            ).fetchone()
        return int(row[0]) if row else 0
