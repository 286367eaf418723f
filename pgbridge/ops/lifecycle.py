"""A gateway's life after start: SIGTERM drains it, SIGHUP reloads it.

Drain (SIGTERM, and SIGINT with no grace): /readyz turns 503 at once; the listening socket
closes (new clients are refused by the kernel); connections that are idle or not yet
authenticated get PostgreSQL's FATAL 57P01 "terminating connection due to administrator
command" and are closed; running statements get up to `[server] shutdown_grace_s` to finish
(a session whose statement ends is closed before it can start another); then the rest are
cancelled like a CancelRequest would (their backend jobs too, BigQuery's included) and closed
with the same FATAL. Last, the gateway closes: the audit log writes `log_closed` and its
files are flushed and fsynced, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol

from pgbridge.ops import collectors, metrics
from pgbridge.ops.health import Readiness
from pgbridge.ops.reload import Reloader
from pgbridge.server.connection import Connection
from pgbridge.server.connection_limits import Admission
from pgbridge.server.gateway import Gateway
from pgbridge.wire.errors import PgError, SqlState

log = logging.getLogger("pgbridge.lifecycle")
POLL_S = 0.05
CANCEL_WAIT_S = 10.0  # after the grace period: how long cancelled statements get to unwind
SHUTDOWN = PgError(SqlState.ADMIN_SHUTDOWN, "terminating connection due to administrator command", "FATAL")


class Served(Protocol):
    """What the lifecycle needs of the listener (pgbridge.server.listener.Listener)."""

    gateway: Gateway
    admission: Admission

    @property
    def connections(self) -> Iterable[Connection]: ...

    def stop_accepting(self) -> None: ...


class Operations:
    """The operator's handles on one listener: readiness, reload, drain, connection gauges."""

    def __init__(self, listener: Served) -> None:
        self.listener = listener
        gateway = listener.gateway
        self.readiness = Readiness(gateway.stages.backend, gateway.stages.audit, gateway.verifier)
        self.reloader = Reloader(gateway)
        metrics.RELOAD_TIME.set_to_current_time()
        collectors.watch_connections(self.connection_states)

    def connection_states(self) -> dict[str, int]:
        states = {"unauthenticated": 0, "idle": 0, "active": 0}
        for connection in list(self.listener.connections):
            if connection.session is None:
                states["unauthenticated"] += 1
            else:
                states["idle" if connection.idle else "active"] += 1
        return states

    def reload(self) -> bool:
        return self.reloader.reload()

    async def drain(self, grace_s: float) -> None:
        """Everything up to (not including) closing the gateway: see the module docstring."""
        self.readiness.draining = True
        metrics.DRAINING.set(1)
        self.listener.stop_accepting()
        running = self._close_idle()
        log.info("draining: %d statement(s) running, grace period %g s", running, grace_s,
                 extra={"fields": {"event": "drain", "running": running, "grace_s": grace_s}})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        while self._close_idle() and loop.time() < deadline:
            await asyncio.sleep(POLL_S)
        left = [c for c in self.listener.connections if c.session is not None and not c.idle]
        if left:
            log.warning("grace period over: cancelling %d running statement(s)", len(left),
                        extra={"fields": {"event": "drain", "cancelled": len(left)}})
            for connection in left:
                assert connection.session is not None
                connection.session.cancel("shutdown")
        deadline = loop.time() + CANCEL_WAIT_S
        while self._close_idle() and loop.time() < deadline:
            await asyncio.sleep(POLL_S)
        collectors.watch_connections(None)

    def _close_idle(self) -> int:
        """Close every connection not running a statement; the number still running."""
        running = 0
        for connection in list(self.listener.connections):
            if connection.session is None or connection.idle:
                connection.terminate(SHUTDOWN)
            else:
                running += 1
        return running
