"""Per-principal limits: concurrent connections, queries per minute, bytes scanned per day.

Counts live in this process (one gateway); a principal's limit is the most generous of its
configured roles' (a missing key means unlimited for that role). Each refusal is a PgError in
the 53xxx / 54xxx families with the number that was hit, so a client can tell what to do.
Days are UTC calendar days. The clock is injectable so tests need not sleep.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pgbridge.auth.principal import Principal
from pgbridge.policy.settings import PolicySettings, RoleSettings
from pgbridge.wire.errors import PgError, SqlState

_DAY = 86400.0
_MINUTE = 60.0


@dataclass
class _Usage:
    connections: int = 0
    query_times: deque[float] = field(default_factory=deque)
    day: int = -1
    bytes_today: int = 0


@dataclass(frozen=True)
class PrincipalLimits:
    max_connections: int | None
    queries_per_minute: int | None
    bytes_per_day: int | None


class LimitTracker:
    def __init__(self, settings: PolicySettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._usage: dict[str, _Usage] = {}
        self._lock = threading.Lock()

    def limits_for(self, principal: Principal) -> PrincipalLimits:
        roles = [self.settings.roles[r] for r in principal.roles if r in self.settings.roles]
        return PrincipalLimits(
            max_connections=_most_generous(roles, lambda r: r.max_connections),
            queries_per_minute=_most_generous(roles, lambda r: r.queries_per_minute),
            bytes_per_day=_most_generous(roles, lambda r: r.bytes_per_day),
        )

    @contextmanager
    def connection(self, principal: Principal) -> Iterator[None]:
        """Hold one connection slot for the body; raise 53300 when none is free."""
        self.open_connection(principal)
        try:
            yield
        finally:
            self.close_connection(principal)

    def open_connection(self, principal: Principal) -> None:
        limit = self.limits_for(principal).max_connections
        with self._lock:
            usage = self._usage.setdefault(principal.subject, _Usage())
            if limit is not None and usage.connections >= limit:
                raise too_many_connections(principal, limit)
            usage.connections += 1

    def close_connection(self, principal: Principal) -> None:
        with self._lock:
            usage = self._usage.get(principal.subject)
            if usage is not None and usage.connections > 0:
                usage.connections -= 1

    def start_query(self, principal: Principal) -> None:
        """Count one query against the per-minute rate; raise 53400 when over it."""
        limit = self.limits_for(principal).queries_per_minute
        now = self.clock()
        with self._lock:
            times = self._usage.setdefault(principal.subject, _Usage()).query_times
            while times and times[0] <= now - _MINUTE:
                times.popleft()
            if limit is not None and len(times) >= limit:
                raise rate_exceeded(principal, limit, times[0] + _MINUTE - now)
            times.append(now)

    def check_bytes(self, principal: Principal, bytes_estimate: int) -> None:
        """Before running: would this scan take the principal over its daily budget? (54000)"""
        limit = self.limits_for(principal).bytes_per_day
        if limit is None:
            return
        with self._lock:
            used = self._today(principal.subject)
        if used + bytes_estimate > limit:
            raise budget_exceeded(principal, used, limit, bytes_estimate)

    def record_bytes(self, principal: Principal, bytes_scanned: int) -> None:
        with self._lock:
            self._today(principal.subject)
            self._usage[principal.subject].bytes_today += bytes_scanned

    def bytes_today(self, principal: Principal) -> int:
        with self._lock:
            return self._today(principal.subject)

    # -- what the gateway calls: async, because a shared store answers over the network
    # (pgbridge.policy.limits_pg); counted here they are the synchronous checks above.

    async def acquire(self, principal: Principal) -> None:
        """Take a connection slot (53300 when none is free)."""
        self.open_connection(principal)

    async def release(self, principal: Principal) -> None:
        self.close_connection(principal)

    async def count_query(self, principal: Principal, bytes_estimate: int) -> None:
        """Count one statement against the rate (53400) and its bytes against the day (54000)."""
        self.start_query(principal)
        self.check_bytes(principal, bytes_estimate)
        self.record_bytes(principal, bytes_estimate)

    async def close(self) -> None:
        """Give back what this gateway holds in a shared store (nothing, counted in memory)."""

    def _today(self, subject: str) -> int:
        usage = self._usage.setdefault(subject, _Usage())
        day = int(self.clock() // _DAY)
        if usage.day != day:
            usage.day, usage.bytes_today = day, 0
        return usage.bytes_today


def _most_generous(roles: list[RoleSettings], value: Callable[[RoleSettings], int | None]) -> int | None:
    if not roles:
        return 0  # no configured role: nothing is allowed
    values = [value(r) for r in roles]
    return None if None in values else max(v for v in values if v is not None)


def too_many_connections(principal: Principal, limit: int) -> PgError:
    """The 53300 a connection over the principal's limit gets, wherever connections are counted."""
    return PgError(
        SqlState.TOO_MANY_CONNECTIONS,
        f"too many connections for {principal.subject}: the limit is {limit}",
        severity="FATAL",
        hint="close an idle connection, or use a connection pool with fewer connections",
    )


def rate_exceeded(principal: Principal, limit: int, wait_s: float) -> PgError:
    """The 53400 a statement over the per-minute rate gets, wherever queries are counted."""
    return PgError(
        SqlState.CONFIGURATION_LIMIT_EXCEEDED,
        f"query rate limit reached for {principal.subject}: {limit} queries per minute",
        hint=f"try again in {max(wait_s, 0.0):.0f} s",
    )


def budget_exceeded(principal: Principal, used: int, limit: int, bytes_estimate: int) -> PgError:
    """The 54000 a scan over the daily budget gets, wherever the bytes are counted."""
    return PgError(
        SqlState.PROGRAM_LIMIT_EXCEEDED,
        f"daily scan budget exceeded for {principal.subject}: {used:,} of {limit:,} bytes used "
        f"today, this query would scan {bytes_estimate:,} more",
        hint="the budget resets at 00:00 UTC; narrow the query to scan fewer bytes",
    )
