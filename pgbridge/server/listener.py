"""The listener: accepts client sockets and runs a connection for each, and serves the admin
listener (the approvals API and the approvers' console, pgbridge.admin) when one is configured.

A socket takes a connection slot when it is accepted, before a byte is read
(pgbridge.server.connection_limits); when none is left it gets PostgreSQL's "too many
clients" and is closed. The gateway (pgbridge.server.gateway) is opened first: nothing is
accepted before every stage is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pgbridge.admin.app import DEFAULT_CONCERNS, AdminServer, start_admin
from pgbridge.admin.deps import admin_deps
from pgbridge.backends.base import Backend
from pgbridge.config import Config
from pgbridge.ops.health import routes as health_routes
from pgbridge.ops.lifecycle import Operations
from pgbridge.ops.metrics import CONNECTIONS_REFUSED
from pgbridge.server.cancel_relay import serve_relay
from pgbridge.server.connection import Connection
from pgbridge.server.connection_limits import Admission
from pgbridge.server.gateway import Gateway
from pgbridge.server.multiworker import WorkerSlot
from pgbridge.wire import codec
from pgbridge.wire.errors import PgError, SqlState

log = logging.getLogger("pgbridge.gateway")


class Listener:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        server = gateway.config.server
        self.admission = Admission(server.max_connections, server.max_unauthenticated_connections)
        self._server: asyncio.Server | None = None
        self._admin_http: AdminServer | None = None
        self._relay: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._open: set[Connection] = set()
        self.operations = Operations(self)  # health, metrics, drain and reload (pgbridge.ops)

    @property
    def connections(self) -> set[Connection]:
        return self._open

    def stop_accepting(self) -> None:
        if self._server is not None:
            self._server.close()

    @classmethod
    async def open(
        cls, config: Config, backend: Backend | None = None, worker: WorkerSlot | None = None
    ) -> Listener:
        """The gateway opened from `config`, listening (as one of several workers when `worker`)."""
        listener = cls(await Gateway.open(config, backend, worker))
        await listener.start()
        return listener

    async def start(self) -> None:
        gateway, server = self.gateway, self.gateway.config.server
        worker = gateway.worker
        if worker is not None:  # cancel requests forwarded by the other workers
            self._relay = await serve_relay(worker.cancel_socket(worker.index), gateway.cancel)
        # Workers share the port: the kernel spreads connections over them (SO_REUSEPORT).
        self._server = await asyncio.start_server(
            self._accept,
            server.host,
            server.port,
            limit=2**20,
            reuse_address=True,
            reuse_port=worker is not None,
        )
        backend = gateway.stages.backend.name
        log.info("pgbridge listening on %s:%s (backend %s)", server.host, server.port, backend)
        if server.admin_http_port:
            stages = gateway.stages
            deps = admin_deps(
                gateway.config, stages.approvals, gateway.verifier, stages.approval_pool, gateway.audit_event
            )
            tls = gateway.tls_context if server.admin_http_tls else None
            concerns = (*DEFAULT_CONCERNS, health_routes(self.operations.readiness))
            self._admin_http = await start_admin(
                server.admin_http_host, server.admin_http_port, deps, tls, concerns
            )
            log.info("admin HTTP endpoint on %s:%s", server.admin_http_host, self.admin_http_port)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def admin_http_port(self) -> int:
        assert self._admin_http is not None
        return self._admin_http.port

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._relay is not None:
            self._relay.close()
        for connection in list(self._open):
            with contextlib.suppress(Exception):
                connection.writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._admin_http is not None:
            await self._admin_http.close()
        await self.gateway.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        slot = self.admission.admit()
        try:
            if slot is None:
                await _turn_away(writer)
                return
            connection = Connection(self.gateway, reader, writer, slot)
            self._open.add(connection)
            try:
                await connection.run()
            finally:
                self._open.discard(connection)
        except Exception:
            log.exception("connection failed")
        finally:
            if slot is not None:
                slot.release()
            self._tasks.discard(task)


async def _turn_away(writer: asyncio.StreamWriter) -> None:
    """PostgreSQL's answer when no slot is left, sent before reading anything, then close."""
    refusal = PgError(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already", "FATAL")
    CONNECTIONS_REFUSED.inc()
    writer.write(codec.error_response(refusal))
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.drain(), 1)
    writer.close()
