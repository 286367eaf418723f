"""Per-principal limits counted in the PostgreSQL store, for several gateways behind one address.

The same limits as pgbridge.policy.limits (connections, queries per minute, bytes per day), but a
principal's 10 connections are 10 across every gateway that shares `[policy.store] url`. Each
check-and-count is one call of a function in the database (pgbridge.policy.store_schema) that
takes a per-subject advisory lock, counts, and writes only when under the limit: one round trip,
atomic across gateways, nothing decided in Python from a read. Principals without a limit cost
no database work.

Connections are leases: a row per open connection naming this gateway process (`owner`), with an
expiry that a heartbeat pushes forward every lease_s / 3 seconds. A connection check counts only
unexpired leases, so the connections of a gateway that dies without closing them (kill -9, a
lost host) stop counting within lease_s; a clean close deletes this gateway's leases at once.

Fail closed: when the store cannot be reached, a connection or statement of a principal that has
a limit is refused with SQLSTATE 58000 naming the store, as the approvals store does; principals
without limits are not affected. A lease whose DELETE did not get through is deleted by the next
heartbeat that does; while a gateway cannot reach the store its leases are not refreshed, so
after lease_s its open connections no longer count against other gateways' checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Mapping, Sequence

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from pgbridge.auth.principal import Principal
from pgbridge.policy.approvals import StoreUnavailable
from pgbridge.policy.limits import (
    LimitTracker,
    budget_exceeded,
    rate_exceeded,
    too_many_connections,
)
from pgbridge.policy.settings import PolicySettings
from pgbridge.policy.store_schema import migrate_url
from pgbridge.wire.errors import PgError, SqlState

logger = logging.getLogger("pgbridge.limits")

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 5000
POOL_WAIT_S = 5.0
GC_INTERVAL_S = 60.0
_CONNECT = "SELECT admitted, held FROM pgbridge_limit_connect(%s, %s, %s, %s, %s)"
_QUERY = "SELECT verdict, used, retry_s FROM pgbridge_limit_query(%s, %s, %s, %s)"
# Refresh this gateway's leases, dropping those whose own DELETE failed earlier.
_HEARTBEAT = """
WITH released AS (
    DELETE FROM pgbridge_limit_leases WHERE owner = %(owner)s AND lease = ANY(%(gone)s)
)
UPDATE pgbridge_limit_leases SET expires_at = clock_timestamp() + %(lease_s)s * interval '1 second'
WHERE owner = %(owner)s AND NOT lease = ANY(%(gone)s)
"""
# Housekeeping, by any gateway: leases long dead, queries out of every window, old days.
_GC = """
DELETE FROM pgbridge_limit_leases WHERE expires_at < clock_timestamp() - interval '1 hour';
DELETE FROM pgbridge_limit_queries WHERE at < clock_timestamp() - interval '1 minute';
DELETE FROM pgbridge_limit_scanned WHERE day < (clock_timestamp() AT TIME ZONE 'UTC')::date - 7;
"""


def limits_unavailable(detail: str, consequence: str) -> StoreUnavailable:
    return StoreUnavailable(
        SqlState.SYSTEM_ERROR,
        f"the limits store cannot be reached ({detail}); {consequence}",
        hint="an operator must make the [policy.store] database reachable; principals without "
        "limits are not affected",
    )


class PostgresLimitTracker(LimitTracker):
    def __init__(self, settings: PolicySettings, url: str, gateway_id: str, lease_s: float) -> None:
        super().__init__(settings)
        self.url = url
        self.lease_s = lease_s
        # one gateway process: a restarted gateway never refreshes its previous life's leases
        self.owner = f"{gateway_id}/{os.getpid()}/{secrets.token_hex(4)}"
        self._held: dict[str, list[str]] = {}  # subject -> this gateway's lease ids
        self._released: set[str] = set()  # leases whose DELETE did not get through (yet)
        self._heartbeat: asyncio.Task[None] | None = None
        self._store_down = False
        kwargs = {
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        }
        self.pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=4,
            kwargs=kwargs,
            open=False,
            timeout=POOL_WAIT_S,
            name="pgbridge-limits",
            check=AsyncConnectionPool.check_connection,
        )

    async def open(self) -> PostgresLimitTracker:
        """Connect, migrate, and start the heartbeat; raises StoreUnavailable if unreachable."""
        try:
            await self.pool.open(wait=True, timeout=POOL_WAIT_S)
            await asyncio.to_thread(migrate_url, self.url)
        except (PoolTimeout, psycopg.Error) as exc:
            await self.pool.close()
            raise limits_unavailable(_first_line(exc), "the gateway did not start") from None
        self._heartbeat = asyncio.create_task(self._beat(), name="pgbridge-limits-heartbeat")
        return self

    async def close(self) -> None:
        """Stop the heartbeat and give this gateway's slots back at once."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        try:
            gone = f"this gateway's leases expire within {self.lease_s:.0f} s"
            await self._execute("DELETE FROM pgbridge_limit_leases WHERE owner = %s", (self.owner,), gone)
        except StoreUnavailable as exc:
            logger.warning("limits: %s", exc.message)
        self._held.clear()
        await self.pool.close()

    # -- connections ------------------------------------------------------------------------

    async def acquire(self, principal: Principal) -> None:
        limit = self.limits_for(principal).max_connections
        if limit is None:
            return
        lease = secrets.token_hex(8)
        params = (lease, self.owner, principal.subject, limit, self.lease_s)
        try:
            row = await self._execute(_CONNECT, params, "the connection was not opened")
        except BaseException:
            self._released.add(lease)  # written before the store went away (or we were cancelled)?
            raise
        if row is None or not row[0]:
            raise too_many_connections(principal, limit)
        self._held.setdefault(principal.subject, []).append(lease)

    async def release(self, principal: Principal) -> None:
        # by what this gateway holds, not by the limit: a reload may have changed the limit
        held = self._held.get(principal.subject)
        if not held:
            return
        lease = held.pop()
        if not held:
            del self._held[principal.subject]
        try:
            later = "the lease is deleted by a later heartbeat"
            await self._execute("DELETE FROM pgbridge_limit_leases WHERE lease = %s", (lease,), later)
        except StoreUnavailable as exc:
            self._released.add(lease)
            logger.warning("limits: %s", exc.message)

    # -- statements -------------------------------------------------------------------------

    async def count_query(self, principal: Principal, bytes_estimate: int) -> None:
        limits = self.limits_for(principal)
        rate, budget = limits.queries_per_minute, limits.bytes_per_day
        if rate is None and budget is None:
            return
        params = (principal.subject, rate, budget, bytes_estimate)
        row = await self._execute(_QUERY, params, "the statement was not run")
        assert row is not None  # a function call returns its row
        verdict, used, retry_s = row
        if verdict == "rate" and rate is not None:
            raise rate_exceeded(principal, rate, float(retry_s or 0.0))
        if verdict == "bytes" and budget is not None:
            raise budget_exceeded(principal, int(used), budget, bytes_estimate)

    # -- the store ---------------------------------------------------------------------------

    async def _execute(
        self, query: str, params: Sequence[object] | Mapping[str, object], consequence: str
    ) -> TupleRow | None:
        """One statement on a pooled connection; its row, if it returns one."""
        try:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(query, params)
                return await cursor.fetchone() if cursor.description else None
        except PoolTimeout:
            raise limits_unavailable("no connection within 5 s", consequence) from None
        except psycopg.Error as exc:
            raise limits_unavailable(_first_line(exc), consequence) from None

    async def _beat(self) -> None:
        last_gc = time.monotonic()
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                await self._refresh()
                if time.monotonic() - last_gc >= GC_INTERVAL_S:
                    await self._execute(_GC, (), "housekeeping skipped")
                    last_gc = time.monotonic()
            except Exception as exc:  # the heartbeat must outlive any one failure
                if not self._store_down:  # once per outage, not every few seconds
                    logger.error("limits: %s", exc.message if isinstance(exc, PgError) else exc)
                self._store_down = True
                continue
            if self._store_down:
                logger.warning("limits: the store is reachable again; leases refreshed")
            self._store_down = False

    async def _refresh(self) -> None:
        gone = sorted(self._released)
        if not self._held and not gone:
            return  # nothing held: nothing to keep alive
        params = {"owner": self.owner, "gone": gone, "lease_s": self.lease_s}
        stale = f"leases not refreshed: this gateway's connections stop counting after {self.lease_s:.0f} s"
        await self._execute(_HEARTBEAT, params, stale)
        self._released.difference_update(gone)

    # -- the in-memory API is not this tracker's: counting here would be per gateway ----------

    def open_connection(self, principal: Principal) -> None:
        raise TypeError("limits are counted in the store: use acquire()")

    def close_connection(self, principal: Principal) -> None:
        raise TypeError("limits are counted in the store: use release()")

    def start_query(self, principal: Principal) -> None:
        raise TypeError("limits are counted in the store: use count_query()")

    def check_bytes(self, principal: Principal, bytes_estimate: int) -> None:
        raise TypeError("limits are counted in the store: use count_query()")

    def record_bytes(self, principal: Principal, bytes_scanned: int) -> None:
        raise TypeError("limits are counted in the store: use count_query()")


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
