"""Per-principal caps on concurrent work: backend statements and catalog queries.

The gateway's worker pools are shared by every principal (pgbridge.workers); without a cap
one principal running a handful of long queries holds all their threads and everyone else
waits. Each principal (by token subject, across all its connections) may have at most
`max_concurrent_statements` pieces of backend work — a dry run, a query starting, one
result batch being read — and `max_concurrent_catalog` catalog queries in progress; the most
generous of its roles applies. Further work waits for a slot on the event loop, holding no
thread, and the wait is part of the statement: CancelRequest and statement_timeout end it.

A slot is held while work is in progress, not while a result sits unread: between two
batches of a cursor the slot is free, so a session with several open portals cannot block
itself, and a slow client costs no slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

from pgbridge.auth.principal import Principal
from pgbridge.policy.settings import (
    DEFAULT_MAX_CONCURRENT_CATALOG,
    DEFAULT_MAX_CONCURRENT_STATEMENTS,
    PolicySettings,
)

Kind = Literal["statements", "catalog"]
_DEFAULTS: dict[str, int] = {
    "statements": DEFAULT_MAX_CONCURRENT_STATEMENTS,
    "catalog": DEFAULT_MAX_CONCURRENT_CATALOG,
}


@dataclass
class _Gate:
    active: int = 0
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class ConcurrencyLimiter:
    """Slots per (principal, kind); without a policy every principal gets the defaults."""

    def __init__(self, settings: PolicySettings | None = None) -> None:
        self.settings = settings
        self._gates: dict[tuple[str, str], _Gate] = {}

    def limit_for(self, principal: Principal, kind: Kind) -> int:
        roles = [] if self.settings is None else [
            self.settings.roles[r] for r in principal.roles if r in self.settings.roles
        ]
        if not roles:
            return _DEFAULTS[kind]
        if kind == "statements":
            return max(r.max_concurrent_statements for r in roles)
        return max(r.max_concurrent_catalog for r in roles)

    def active(self, principal: Principal, kind: Kind) -> int:
        gate = self._gates.get((principal.subject, kind))
        return gate.active if gate is not None else 0

    @asynccontextmanager
    async def slot(self, principal: Principal, kind: Kind) -> AsyncIterator[None]:
        """Hold one of the principal's `kind` slots for the body, waiting on the loop for one."""
        key = (principal.subject, kind)
        limit = self.limit_for(principal, kind)
        gate = self._gates.setdefault(key, _Gate())
        while gate.active >= limit:
            waiter = asyncio.get_running_loop().create_future()
            gate.waiters.append(waiter)
            try:
                await waiter
            except BaseException:  # cancelled while waiting: leave no trace
                gate.waiters.remove(waiter)
                self._tidy(key, gate)
                raise
            gate.waiters.remove(waiter)
        gate.active += 1
        try:
            yield
        finally:
            gate.active -= 1
            # Every waiter looks again (each may have its own limit); the losers wait anew.
            for waiter in gate.waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._tidy(key, gate)

    def _tidy(self, key: tuple[str, str], gate: _Gate) -> None:
        if gate.active == 0 and not gate.waiters and self._gates.get(key) is gate:
            del self._gates[key]
