"""Approval requests: a durable, single-use, four-eyes permission to run one statement.

A request is keyed by the requester's subject, the translated SQL and a digest of the
parameters, so an approval covers exactly the statement that was shown to the approver.
Statuses: pending -> approved | denied; approved -> consumed (once). A pending or approved
request past its `expires_at` reads as "expired" and can no longer be decided or consumed.

`SqliteApprovalStore` is the default: one file shared by the gateway and the CLI (and by
several processes at once), in WAL mode, every write in a `BEGIN IMMEDIATE` transaction so
"decide" and "consume" are atomic across processes. Anything else implementing
`ApprovalStore` (a shared database when several gateways run) can replace it.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

from pgbridge.auth.principal import Principal
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import WorkerPool

T = TypeVar("T")
P = ParamSpec("P")

STATUSES = ("pending", "approved", "denied", "consumed", "expired")
Requester = Principal | str  # a principal, or its subject: the key uses the subject only


def subject_of(requester: Requester) -> str:
    return requester.subject if isinstance(requester, Principal) else requester


@dataclass(frozen=True)
class ApprovalRequest:
    id: str
    requester: str
    sql: str
    params_digest: str
    rule: str
    message: str
    status: str  # one of STATUSES
    created_at: float
    expires_at: float
    approver: str | None = None
    reason: str | None = None
    decided_at: float | None = None
    consumed_at: float | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class ApprovalError(Exception):
    """A refused store operation; `code` is not_found | conflict | forbidden."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StoreUnavailable(PgError):
    """A shared store cannot be reached: what needs it is refused, and says why."""


def store_unavailable(detail: str) -> StoreUnavailable:
    return StoreUnavailable(
        SqlState.SYSTEM_ERROR,
        f"the approvals store cannot be reached ({detail}); the statement was not run",
        hint="an operator must make the [policy.store] database reachable; statements that need no "
        "approval are not affected",
    )


class ApprovalStore(Protocol):
    def request(
        self, requester: Requester, sql: str, params_digest: str, rule: str, message: str = ""
    ) -> ApprovalRequest: ...
    def get(self, request_id: str) -> ApprovalRequest | None: ...
    def find(self, requester: Requester, sql: str, params_digest: str) -> ApprovalRequest | None: ...
    def list(self, status: str | None = None) -> list[ApprovalRequest]: ...
    def decide(
        self, request_id: str, approver: str, approve: bool, reason: str | None
    ) -> ApprovalRequest: ...
    def consume(self, request_id: str) -> ApprovalRequest: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    requester TEXT NOT NULL,
    sql TEXT NOT NULL,
    params_digest TEXT NOT NULL,
    rule TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    approver TEXT,
    reason TEXT,
    decided_at REAL,
    consumed_at REAL
);
CREATE INDEX IF NOT EXISTS approvals_by_key ON approvals (requester, params_digest, created_at);
"""
_COLUMNS = "id, requester, sql, params_digest, rule, message, status, created_at, expires_at, " \
    "approver, reason, decided_at, consumed_at"


@contextmanager
def sqlite_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to one of the approvals' SQLite files, in autocommit mode (writers open
    their own transaction), waiting up to 10 s for another process's lock. A connection per
    operation: safe across threads and processes, and cheap for SQLite."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=10000")
        yield conn
    finally:
        conn.close()


class SqliteApprovalStore:
    def __init__(
        self,
        path: Path,
        pending_ttl_s: float = 86400.0,
        approved_ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.pending_ttl_s = pending_ttl_s
        self.approved_ttl_s = approved_ttl_s
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite_connection(self.path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with sqlite_connection(self.path) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _row(self, conn: sqlite3.Connection, request_id: str) -> ApprovalRequest | None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM approvals WHERE id = ?", (request_id,)).fetchone()
        return None if row is None else self._from_row(row)

    def _from_row(self, row: Sequence[object]) -> ApprovalRequest:
        request = ApprovalRequest(*row)  # type: ignore[arg-type]
        if request.status in ("pending", "approved") and self.clock() >= request.expires_at:
            return _replace_status(request, "expired")
        return request

    def request(
        self, requester: Requester, sql: str, params_digest: str, rule: str, message: str = ""
    ) -> ApprovalRequest:
        """The live (pending or approved) request for this key, or a new pending one."""
        requester = subject_of(requester)
        with self._write() as conn:
            existing = self._live(conn, requester, sql, params_digest)
            if existing is not None:
                return existing
            now = self.clock()
            request_id = "apr_" + secrets.token_hex(8)
            conn.execute(
                "INSERT INTO approvals (id, requester, sql, params_digest, rule, message, status, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (request_id, requester, sql, params_digest, rule, message, now, now + self.pending_ttl_s),
            )
            created = self._row(conn, request_id)
        assert created is not None
        return created

    def _live(
        self, conn: sqlite3.Connection, requester: str, sql: str, digest: str
    ) -> ApprovalRequest | None:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM approvals WHERE requester = ? AND sql = ? AND params_digest = ? "
            "AND status IN ('pending', 'approved') AND expires_at > ? ORDER BY created_at DESC LIMIT 1",
            (requester, sql, digest, self.clock()),
        ).fetchall()
        return self._from_row(rows[0]) if rows else None

    def get(self, request_id: str) -> ApprovalRequest | None:
        with sqlite_connection(self.path) as conn:
            return self._row(conn, request_id)

    def find(self, requester: Requester, sql: str, params_digest: str) -> ApprovalRequest | None:
        """The newest request for this key that is still pending, approved or denied."""
        requester = subject_of(requester)
        with sqlite_connection(self.path) as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM approvals WHERE requester = ? AND sql = ? AND params_digest = ? "
                "AND status IN ('pending', 'approved', 'denied') AND expires_at > ? "
                "ORDER BY created_at DESC LIMIT 1",
                (requester, sql, params_digest, self.clock()),
            ).fetchall()
        return self._from_row(rows[0]) if rows else None

    def list(self, status: str | None = None) -> list[ApprovalRequest]:
        if status is not None and status not in STATUSES:
            raise ApprovalError("conflict", f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        with sqlite_connection(self.path) as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM approvals ORDER BY created_at").fetchall()
        requests = [self._from_row(row) for row in rows]
        return [r for r in requests if status is None or r.status == status]

    def decide(self, request_id: str, approver: str, approve: bool, reason: str | None) -> ApprovalRequest:
        with self._write() as conn:
            request = self._require(conn, request_id)
            if request.requester.casefold() == approver.strip().casefold():
                raise ApprovalError("forbidden", f"{approver} asked for {request_id} and may not decide it")
            if request.status != "pending":
                raise ApprovalError("conflict", f"request {request_id} is {request.status}, not pending")
            now = self.clock()
            status = "approved" if approve else "denied"
            expires = now + self.approved_ttl_s if approve else request.expires_at
            conn.execute(
                "UPDATE approvals SET status = ?, approver = ?, reason = ?, decided_at = ?, expires_at = ? "
                "WHERE id = ? AND status = 'pending'",
                (status, approver, reason, now, expires, request_id),
            )
            decided = self._row(conn, request_id)
        assert decided is not None
        return decided

    def consume(self, request_id: str) -> ApprovalRequest:
        """Use an approval: exactly once, and only before it expires."""
        with self._write() as conn:
            request = self._require(conn, request_id)
            if request.status != "approved":
                raise ApprovalError("conflict", f"request {request_id} is {request.status}, not approved")
            conn.execute(
                "UPDATE approvals SET status = 'consumed', consumed_at = ? "
                "WHERE id = ? AND status = 'approved'",
                (self.clock(), request_id),
            )
            consumed = self._row(conn, request_id)
        assert consumed is not None
        return consumed

    def _require(self, conn: sqlite3.Connection, request_id: str) -> ApprovalRequest:
        request = self._row(conn, request_id)
        if request is None:
            raise ApprovalError("not_found", f"no approval request {request_id!r}")
        return request


def _replace_status(request: ApprovalRequest, status: str) -> ApprovalRequest:
    values = request.to_json()
    values["status"] = status
    return ApprovalRequest(**values)  # type: ignore[arg-type]


async def wait_for_decision(
    store: ApprovalStore,
    request_id: str,
    timeout_s: float,
    poll_interval: float = 0.2,
    pool: WorkerPool | None = None,
) -> ApprovalRequest:
    """Poll until the request leaves "pending" or `timeout_s` passes; returns the last state
    (still "pending" on timeout). Cancelling the awaiting task stops the wait at once.

    The wait itself sleeps on the event loop: a thread (of `pool`, the gateway's approvals
    pool) is used only for each short store read, never for the wait."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        request = await in_thread(pool, store.get, request_id)
        if request is None:
            raise ApprovalError("not_found", f"no approval request {request_id!r}")
        remaining = deadline - loop.time()
        if request.status != "pending" or remaining <= 0:
            return request
        await asyncio.sleep(min(poll_interval, remaining))


async def in_thread(pool: WorkerPool | None, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """A blocking store call in `pool` (asyncio's default executor when there is none)."""
    call = functools.partial(work, *args, **kwargs)
    if pool is None:
        return await asyncio.to_thread(call)
    return await pool.run(call)


def params_digest(params: Sequence[object]) -> str:
    """A stable digest of a statement's parameter values (types included: 1 is not '1')."""
    canonical = [_canonical(p) for p in params]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _canonical(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _canonical(v) for k, v in asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return [type(value).__name__, repr(value)]


def how_to_approve(request: ApprovalRequest) -> str:
    return (
        f"an approver can run: pgbridge approvals approve {request.id} --by NAME "
        f"(or POST /approvals/{request.id}/approve on the admin endpoint)"
    )


def pending_notice(request: ApprovalRequest, timeout_s: float) -> str:
    """The NoticeResponse text for wait mode."""
    return (
        f"approval request {request.id} is pending ({request.message or request.rule}); "
        f"waiting up to {timeout_s:g} s; {how_to_approve(request)}"
    )


def outcome_error(request: ApprovalRequest) -> PgError | None:
    """None when the request lets the statement run; else the error the client should see."""
    if request.status == "approved":
        return None
    detail = f"approval request: {request.id}; rule: {request.rule}"
    if request.status == "pending":
        message = f"statement needs approval: request {request.id} is pending; re-run it once approved"
        return PgError(SqlState.INSUFFICIENT_PRIVILEGE, message, detail=detail, hint=how_to_approve(request))
    if request.status == "denied":
        why = f": {request.reason}" if request.reason else ""
        message = f"approval request {request.id} was denied by {request.approver}{why}"
        return PgError(SqlState.INSUFFICIENT_PRIVILEGE, message, detail=detail)
    message = f"approval request {request.id} is {request.status}; run the statement again to ask anew"
    return PgError(SqlState.INSUFFICIENT_PRIVILEGE, message, detail=detail)


def timeout_error(request: ApprovalRequest, timeout_s: float) -> PgError:
    message = f"canceling statement: approval request {request.id} was not decided within {timeout_s:g} s"
    return PgError(SqlState.QUERY_CANCELED, message, hint=how_to_approve(request))
