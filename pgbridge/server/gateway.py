"""The running gateway: the listener and the parts every connection shares.

Built once from the configuration: the backend, the metadata cache, the catalog engine, the
policy, masking and audit stages, the token verifier and the TLS context. Each stage that
blocks has its own worker pool (pgbridge.workers); the approvals pool is made here. Connections
register here for CancelRequest, which arrives on a new connection carrying the process id
and the secret handed out at startup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import ssl
from typing import Any

from pgbridge.auth.jwt import TokenVerifier
from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Backend
from pgbridge.backends.metadata import MetadataCache
from pgbridge.config import Config
from pgbridge.server.connection import Connection
from pgbridge.server.connection_limits import Admission
from pgbridge.server.pipeline import Pipeline
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import APPROVAL_THREADS, WorkerPool

log = logging.getLogger("pgbridge.gateway")


def make_backend(config: Config) -> Backend:
    if config.backend.kind == "duckdb":
        from pgbridge.backends.duckdb import DuckDBBackend

        assert config.backend.duckdb is not None
        return DuckDBBackend(config.backend.duckdb)
    from pgbridge.backends.bigquery import BigQueryBackend

    return BigQueryBackend(config.backend.bigquery)


def make_tls_context(config: Config) -> ssl.SSLContext | None:
    server = config.server
    if server.tls_cert_file is None or server.tls_key_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(server.tls_cert_file, server.tls_key_file)
    return context


class Gateway:
    def __init__(self, config: Config, backend: Backend | None = None) -> None:
        self.config = config
        self.backend = backend or make_backend(config)
        self.metadata = MetadataCache(self.backend, config.catalog.ttl_seconds)
        self.verifier = TokenVerifier(config.auth)
        self.tls_context = make_tls_context(config)
        self.approval_pool = WorkerPool("approvals", APPROVAL_THREADS)
        self.audit: Any = None
        self.policy: Any = None
        self.limits: Any = None
        self.approvals: Any = None
        self.catalog: Any = None
        self.pipeline: Pipeline = None  # type: ignore[assignment]  # built in start()
        self._connections: dict[int, tuple[int, Connection]] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._admin_http: Any = None  # pgbridge.admin.app.AdminServer when the admin port is set
        server = config.server
        self.admission = Admission(server.max_connections, server.max_unauthenticated_connections)

    async def start(self) -> None:
        await self._build_stages()
        server = self.config.server
        self._server = await asyncio.start_server(
            self._accept, server.host, server.port, limit=2**20, reuse_address=True
        )
        log.info("pgbridge listening on %s:%s (backend %s)", server.host, server.port, self.backend.name)
        if server.admin_http_port and self.approvals is not None:
            from pgbridge.admin.app import start_admin
            from pgbridge.admin.deps import admin_deps

            tls = self.tls_context if server.admin_http_tls else None
            deps = admin_deps(
                self.config, self.approvals, self.verifier, self.approval_pool, self.audit_event
            )
            self._admin_http = await start_admin(
                server.admin_http_host, server.admin_http_port, deps, tls
            )
            log.info("admin HTTP endpoint on %s:%s", server.admin_http_host, self.admin_http_port)

    async def _build_stages(self) -> None:
        await self.metadata.refresh()
        if self.config.audit is not None and getattr(self.config.audit, "enabled", False):
            from pgbridge.audit.log import AuditLog

            self.audit = await AuditLog.open(self.config.audit)
        if self.config.policy is not None:
            self._build_policy()
        self.catalog = _make_catalog(self)
        self.pipeline = Pipeline(
            backend=self.backend,
            metadata=self.metadata,
            names=self.config.names,
            catalog=self.catalog,
            policy=self.policy,
            masking=self.config.masking,
            audit=self.audit,
            approvals=self.approvals,
            approval_settings=getattr(self.config.policy, "approvals", None),
            limits=self.limits,
            approval_pool=self.approval_pool,
        )

    def _build_policy(self) -> None:
        from pgbridge.policy.engine import PolicyEngine

        self.policy = PolicyEngine(self.config.policy)
        from pgbridge.policy.limits import LimitTracker

        self.limits = LimitTracker(self.config.policy)
        from pgbridge.policy.approvals import SqliteApprovalStore

        approvals = self.config.policy.approvals
        self.approvals = SqliteApprovalStore(
            approvals.store_path, approvals.pending_ttl_s, approvals.approved_ttl_s
        )

    @property
    def admin_http_port(self) -> int:
        assert self._admin_http is not None
        return int(self._admin_http.port)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for _, connection in list(self._connections.values()):
            with contextlib.suppress(Exception):
                connection.writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._admin_http is not None:
            await self._admin_http.close()
        if self.audit is not None:
            await self.audit.close()
        if self.catalog is not None:
            await self.catalog.close()
        await self.backend.close()
        self.approval_pool.shutdown()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        slot = self.admission.admit()
        try:
            if slot is None:
                await _turn_away(writer)
                return
            await Connection(self, reader, writer, slot).run()
        except Exception:
            log.exception("connection failed")
        finally:
            if slot is not None:
                slot.release()
            self._tasks.discard(task)

    # -- cancel registry ----------------------------------------------------------------------

    def register(self, connection: Connection) -> tuple[int, int]:
        while True:
            process_id = secrets.randbelow(2**31 - 1) + 1
            if process_id not in self._connections:
                break
        secret = secrets.randbelow(2**31)
        self._connections[process_id] = (secret, connection)
        return process_id, secret

    def unregister(self, connection: Connection) -> None:
        entry = self._connections.get(connection.process_id)
        if entry is not None and entry[1] is connection:
            del self._connections[connection.process_id]

    async def cancel(self, process_id: int, secret: int) -> None:
        entry = self._connections.get(process_id)
        # A wrong secret is ignored silently, as PostgreSQL does: no oracle for guessing.
        if entry is not None and secrets.compare_digest(
            entry[0].to_bytes(4, "big"), secret.to_bytes(4, "big")
        ):
            await entry[1].cancel_running()

    # -- shared stage helpers ------------------------------------------------------------------

    async def audit_event(self, event: str, fields: dict[str, Any]) -> None:
        if self.audit is not None:
            await self.audit.append(event, fields)

    def limits_connect(self, principal: Principal) -> None:
        if self.policy is not None and not self.policy.roles_of(principal):
            configured = ", ".join(sorted(self.config.policy.roles))
            raise PgError(
                SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                f"none of the token's roles ({', '.join(principal.roles) or 'none'}) is configured "
                "in the policy",
                severity="FATAL",
                hint=f"configured roles: {configured}",
            )
        if self.limits is not None:
            try:
                self.limits.open_connection(principal)
            except PgError as error:
                raise PgError(error.sqlstate, error.message, "FATAL") from None

    def limits_disconnect(self, principal: Principal) -> None:
        if self.limits is not None:
            self.limits.close_connection(principal)


async def _turn_away(writer: asyncio.StreamWriter) -> None:
    """PostgreSQL's answer when no slot is left, sent before reading anything, then close."""
    from pgbridge.wire import codec

    refusal = PgError(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already", "FATAL")
    writer.write(codec.error_response(refusal))
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.drain(), 1)
    writer.close()


def _make_catalog(gateway: Gateway) -> Any:
    from pgbridge.backends.duckdb_limits import EngineLimits
    from pgbridge.catalog.engine import CatalogEngine

    settings = gateway.config.catalog
    return CatalogEngine(
        gateway.backend,
        ttl_seconds=settings.ttl_seconds,
        default_dataset=gateway.config.names.default_dataset,
        statement_timeout_ms=settings.statement_timeout_ms,
        limits=EngineLimits(memory_limit=settings.memory_limit, threads=settings.threads),
    )
