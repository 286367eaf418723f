"""The gateway: the parts every connection shares, built once from the configuration.

The backend, the metadata cache, the catalog engine, the policy, limits, approvals, masking
and audit stages composed into the pipeline, the token verifier and the TLS context. Each
stage that blocks has its own worker pool (pgbridge.workers); the approvals pool is made
here. Connections register here for CancelRequest, which arrives on a new connection carrying
the process id and the secret handed out at startup. Sockets are accepted by the listener
(pgbridge.server.listener), which hands each connection this gateway.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from pgbridge.audit.log import AuditLog
from pgbridge.auth.jwt import TokenVerifier
from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Backend
from pgbridge.backends.duckdb import DuckDBBackend
from pgbridge.backends.duckdb_limits import EngineLimits
from pgbridge.backends.metadata import MetadataCache
from pgbridge.catalog.engine import CatalogEngine
from pgbridge.config import Config
from pgbridge.policy.approvals import ApprovalStore
from pgbridge.policy.engine import PolicyEngine
from pgbridge.policy.limits import LimitTracker
from pgbridge.policy.stores import close_approval_store, open_approval_store, open_limit_tracker
from pgbridge.server.cancel_keys import new_process_id, new_secret
from pgbridge.server.cancel_peers import CancelPeers
from pgbridge.server.cancel_relay import forward
from pgbridge.server.multiworker import WorkerSlot, owner_of
from pgbridge.server.pipeline import Pipeline
from pgbridge.server.pipeline.approval import ApprovalDesk
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import APPROVAL_THREADS, WorkerPool


class Cancellable(Protocol):
    """A registered connection, as CancelRequest finds it."""

    process_id: int

    async def cancel_running(self) -> None: ...


@dataclass(frozen=True)
class Stages:
    """What the gateway builds from the configuration, in the order it builds them."""

    backend: Backend
    metadata: MetadataCache
    audit: AuditLog | None
    policy: PolicyEngine
    limits: LimitTracker
    approvals: ApprovalStore
    approval_pool: WorkerPool
    catalog: CatalogEngine
    pipeline: Pipeline


class Gateway:
    def __init__(
        self,
        config: Config,
        stages: Stages,
        verifier: TokenVerifier,
        tls_context: ssl.SSLContext | None,
        worker: WorkerSlot | None = None,
    ) -> None:
        self.config = config
        self.stages = stages
        self.pipeline = stages.pipeline
        self.verifier = verifier
        self.tls_context = tls_context
        self.worker = worker  # None: the only process; else which of `serve --workers N`
        self._connections: dict[int, tuple[int, Cancellable]] = {}
        self.peers = CancelPeers(config.cluster)  # cancels for sessions of other gateways

    @classmethod
    async def open(
        cls, config: Config, backend: Backend | None = None, worker: WorkerSlot | None = None
    ) -> Gateway:
        verifier = TokenVerifier(config.auth)
        tls_context = make_tls_context(config)
        stages = await build_stages(config, backend or make_backend(config), worker)
        return cls(config, stages, verifier, tls_context, worker)

    async def close(self) -> None:
        stages = self.stages
        if stages.audit is not None:
            await stages.audit.close()
        await stages.catalog.close()
        await stages.backend.close()
        stages.approval_pool.shutdown()
        await stages.limits.close()
        close_approval_store(stages.approvals)

    # -- cancel registry ----------------------------------------------------------------------

    def register(self, connection: Cancellable) -> tuple[int, int]:
        index = self.worker.index if self.worker is not None else 0
        while True:
            # The key names this peer and worker, so any gateway's any worker finds the owner.
            process_id = new_process_id(self.config.cluster.peer_id, index)
            if process_id and process_id not in self._connections:
                break
        secret = new_secret()
        self._connections[process_id] = (secret, connection)
        return process_id, secret

    def unregister(self, connection: Cancellable) -> None:
        entry = self._connections.get(connection.process_id)
        if entry is not None and entry[1] is connection:
            del self._connections[connection.process_id]

    async def cancel(self, process_id: int, secret: int) -> None:
        if not self.peers.owns(process_id):  # another gateway's session: to that peer
            await self.peers.forward(process_id, secret)
            return
        worker = self.worker
        if worker is not None and owner_of(process_id) != worker.index:
            if owner_of(process_id) < worker.count:
                await forward(worker.cancel_socket(owner_of(process_id)), process_id, secret)
            return
        entry = self._connections.get(process_id)
        # A wrong secret is ignored silently, as PostgreSQL does: no oracle for guessing.
        if entry is not None and secrets.compare_digest(
            entry[0].to_bytes(4, "big"), secret.to_bytes(4, "big")
        ):
            await entry[1].cancel_running()

    # -- shared stage helpers ------------------------------------------------------------------

    async def audit_event(self, event: str, fields: Mapping[str, object]) -> None:
        if self.stages.audit is not None:
            await self.stages.audit.append(event, fields)

    async def limits_connect(self, principal: Principal) -> None:
        if not self.stages.policy.roles_of(principal):
            configured = ", ".join(sorted(self.config.policy.roles))
            raise PgError(
                SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                f"none of the token's roles ({', '.join(principal.roles) or 'none'}) is configured "
                "in the policy",
                severity="FATAL",
                hint=f"configured roles: {configured}",
            )
        try:
            await self.stages.limits.acquire(principal)
        except PgError as error:
            raise dataclasses.replace(error, severity="FATAL") from None

    async def limits_disconnect(self, principal: Principal) -> None:
        await self.stages.limits.release(principal)


async def build_stages(config: Config, backend: Backend, worker: WorkerSlot | None = None) -> Stages:
    metadata = MetadataCache(backend, config.catalog.ttl_seconds)
    await metadata.refresh()
    audit = await AuditLog.open(config.audit) if config.audit.enabled else None
    policy = PolicyEngine(config.policy)
    settings = config.policy.approvals
    approvals = await asyncio.to_thread(open_approval_store, config.policy)  # SQLite, or PostgreSQL shared
    gateway_id = config.audit.gateway_id or socket.gethostname()
    limits = await open_limit_tracker(config.policy, gateway_id, worker.index if worker else None)
    approval_pool = WorkerPool("approvals", APPROVAL_THREADS)
    catalog = make_catalog(config, backend)
    pipeline = Pipeline(
        backend=backend,
        metadata=metadata,
        names=config.names,
        catalog=catalog,
        policy=policy,
        masking=config.masking,
        audit=audit,
        approvals=ApprovalDesk(
            approvals,
            settings,
            approval_pool,
            audit,
            lambda ctx, dataset, table: policy.row_filter_for(ctx.principal, dataset, table),
        ),
        limits=limits,
    )
    return Stages(backend, metadata, audit, policy, limits, approvals, approval_pool, catalog, pipeline)


def make_backend(config: Config) -> Backend:
    if config.backend.kind == "duckdb":
        assert config.backend.duckdb is not None
        return DuckDBBackend(config.backend.duckdb)
    # Imported only when configured: the BigQuery client libraries (google-cloud-bigquery,
    # its storage API over gRPC) are heavy, and the DuckDB warehouse never needs them.
    from pgbridge.backends.bigquery import BigQueryBackend

    assert config.backend.bigquery is not None
    return BigQueryBackend(config.backend.bigquery)


def make_tls_context(config: Config) -> ssl.SSLContext | None:
    server = config.server
    if server.tls_cert_file is None or server.tls_key_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(server.tls_cert_file, server.tls_key_file)
    return context


def make_catalog(config: Config, backend: Backend) -> CatalogEngine:
    settings = config.catalog
    return CatalogEngine(
        backend,
        ttl_seconds=settings.ttl_seconds,
        default_dataset=config.names.default_dataset,
        statement_timeout_ms=settings.statement_timeout_ms,
        limits=EngineLimits(memory_limit=settings.memory_limit, threads=settings.threads),
    )
