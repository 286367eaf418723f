"""Approvals in PostgreSQL, for several gateways: `[policy.store] url = "postgresql://..."`.

The same `ApprovalStore` protocol and the same rules as the SQLite store (pending -> approved |
denied -> consumed once, expiry, four eyes), with every state change made by one conditional
UPDATE whose WHERE clause states the transition (`WHERE id = %s AND status = 'approved'` for
consume): of two gateways consuming the same approval at once, the database lets exactly one
UPDATE match the row; the other sees no row and is refused. Reads never decide anything.

The schema (pgbridge.policy.store_schema: approvals and limits) is versioned and migrated by the
gateway at start, under an advisory lock so gateways starting together apply each step once.
Connections come from a psycopg_pool pool; every call is bounded (connect and statement
timeouts), and a store that cannot be reached raises StoreUnavailable (SQLSTATE 58000) naming
the store, so whatever needed it (a statement needing approval, a decision) is refused, and
nothing else is.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout

from pgbridge.policy.approvals import (
    STATUSES,
    ApprovalError,
    ApprovalRequest,
    Requester,
    store_unavailable,
    subject_of,
)
from pgbridge.policy.store_schema import migrate

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 5000
POOL_WAIT_S = 5.0
_COLUMNS = (
    "id, requester, sql, params_digest, rule, message, status, created_at, expires_at, "
    "approver, reason, decided_at, consumed_at"
)


class PostgresApprovalStore:
    def __init__(
        self,
        url: str,
        pending_ttl_s: float = 86400.0,
        approved_ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
        max_size: int = 4,
    ) -> None:
        self.pending_ttl_s = pending_ttl_s
        self.approved_ttl_s = approved_ttl_s
        self.clock = clock
        kwargs = {
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        }
        # check: a pooled connection the store dropped (restart, failover) is replaced, not used
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs=kwargs,
            open=False,
            timeout=POOL_WAIT_S,
            name="pgbridge-approvals",
            check=ConnectionPool.check_connection,
        )

    def open(self) -> PostgresApprovalStore:
        """Connect and migrate; raises StoreUnavailable if the store cannot be reached."""
        try:
            self.pool.open(wait=True, timeout=POOL_WAIT_S)
        except PoolTimeout:
            self.pool.close()
            raise store_unavailable("no connection within 5 s") from None
        with self._connection() as conn:
            migrate(conn)  # approvals and limits: pgbridge.policy.store_schema
        return self

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[TupleRow]]:
        try:
            with self.pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise store_unavailable("no connection within 5 s") from None
        except psycopg.OperationalError as exc:
            raise store_unavailable(str(exc).splitlines()[0] if str(exc) else "connection lost") from None

    def _fetch(self, query: str, params: Sequence[object]) -> list[ApprovalRequest]:
        with self._connection() as conn:
            rows = conn.execute(query, params).fetchall()
        return [self._from_row(row) for row in rows]

    def _from_row(self, row: Sequence[object]) -> ApprovalRequest:
        request = ApprovalRequest(*row)  # type: ignore[arg-type]
        if request.status in ("pending", "approved") and self.clock() >= request.expires_at:
            values = request.to_json()
            values["status"] = "expired"
            return ApprovalRequest(**values)  # type: ignore[arg-type]
        return request

    def get(self, request_id: str) -> ApprovalRequest | None:
        found = self._fetch(f"SELECT {_COLUMNS} FROM pgbridge_approvals WHERE id = %s", (request_id,))
        return found[0] if found else None

    def find(self, requester: Requester, sql: str, params_digest: str) -> ApprovalRequest | None:
        """The newest request for this key that is still pending, approved or denied."""
        found = self._fetch(
            f"SELECT {_COLUMNS} FROM pgbridge_approvals WHERE requester = %s AND sql = %s "
            "AND params_digest = %s AND status IN ('pending', 'approved', 'denied') AND expires_at > %s "
            "ORDER BY created_at DESC LIMIT 1",
            (subject_of(requester), sql, params_digest, self.clock()),
        )
        return found[0] if found else None

    def list(self, status: str | None = None) -> list[ApprovalRequest]:
        if status is not None and status not in STATUSES:
            raise ApprovalError("conflict", f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        requests = self._fetch(f"SELECT {_COLUMNS} FROM pgbridge_approvals ORDER BY created_at", ())
        return [r for r in requests if status is None or r.status == status]

    def request(
        self, requester: Requester, sql: str, params_digest: str, rule: str, message: str = ""
    ) -> ApprovalRequest:
        """The live (pending or approved) request for this key, or a new pending one: one per key
        across gateways, by a transaction-scoped advisory lock on the key."""
        subject = subject_of(requester)
        now = self.clock()
        with self._connection() as conn, conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (hashlib.sha256(f"{subject}\n{params_digest}\n{sql}".encode()).hexdigest(),),
            )
            live = conn.execute(
                f"SELECT {_COLUMNS} FROM pgbridge_approvals WHERE requester = %s AND sql = %s "
                "AND params_digest = %s AND status IN ('pending', 'approved') AND expires_at > %s "
                "ORDER BY created_at DESC LIMIT 1",
                (subject, sql, params_digest, now),
            ).fetchone()
            if live is not None:
                return self._from_row(live)
            row = conn.execute(
                "INSERT INTO pgbridge_approvals (id, requester, sql, params_digest, rule, message, status, "
                "created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, 'pending', %s, %s) "
                f"RETURNING {_COLUMNS}",
                (
                    "apr_" + secrets.token_hex(8),
                    subject,
                    sql,
                    params_digest,
                    rule,
                    message,
                    now,
                    now + self.pending_ttl_s,
                ),
            ).fetchone()
        assert row is not None
        return self._from_row(row)

    def decide(self, request_id: str, approver: str, approve: bool, reason: str | None) -> ApprovalRequest:
        request = self._require(request_id)
        if request.requester.casefold() == approver.strip().casefold():
            raise ApprovalError("forbidden", f"{approver} asked for {request_id} and may not decide it")
        now = self.clock()
        expires = now + self.approved_ttl_s if approve else request.expires_at
        # the WHERE clause is the transition: only a still-pending, unexpired request changes
        decided = self._fetch(
            "UPDATE pgbridge_approvals SET status = %s, approver = %s, reason = %s, decided_at = %s, "
            "expires_at = %s WHERE id = %s AND status = 'pending' AND expires_at > %s "
            f"RETURNING {_COLUMNS}",
            ("approved" if approve else "denied", approver, reason, now, expires, request_id, now),
        )
        if not decided:
            raise ApprovalError(
                "conflict", f"request {request_id} is {self._status(request_id)}, not pending"
            )
        return decided[0]

    def consume(self, request_id: str) -> ApprovalRequest:
        """Use an approval: exactly once across every gateway, and only before it expires."""
        now = self.clock()
        consumed = self._fetch(
            f"UPDATE pgbridge_approvals SET status = 'consumed', consumed_at = %s "
            f"WHERE id = %s AND status = 'approved' AND expires_at > %s RETURNING {_COLUMNS}",
            (now, request_id, now),
        )
        if not consumed:
            raise ApprovalError(
                "conflict", f"request {request_id} is {self._status(request_id)}, not approved"
            )
        return consumed[0]

    def _require(self, request_id: str) -> ApprovalRequest:
        request = self.get(request_id)
        if request is None:
            raise ApprovalError("not_found", f"no approval request {request_id!r}")
        return request

    def _status(self, request_id: str) -> str:
        return self._require(request_id).status
