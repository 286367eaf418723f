"""Catalog statements (pg_catalog, information_schema, version()): answered by the local
catalog engine from the backend's metadata, never by the backend.

The engine sees the catalog as this principal may: tables it cannot read are not there, and
a row-filtered table's size statistics are hidden. Reading the catalog is reconnaissance an
auditor wants to see, so a catalog query is recorded like any statement (write-ahead, fail
closed), without its result rows. Each principal has its own cap on catalog queries in
progress.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pyarrow as pa

from pgbridge.catalog.api import CatalogSession
from pgbridge.catalog.engine import CatalogEngine
from pgbridge.policy.concurrency import ConcurrencyLimiter
from pgbridge.policy.engine import PolicyEngine
from pgbridge.server.context import Prepared, SessionContext
from pgbridge.server.error_text import internal_error
from pgbridge.server.outcomes import RowStream
from pgbridge.server.pipeline.access import can_read, row_filtered
from pgbridge.server.pipeline.records import StatementAudit
from pgbridge.typemap import OutputColumn
from pgbridge.wire.errors import PgError, SqlState

Description = tuple[tuple[int, ...], tuple[OutputColumn, ...]]  # parameter OIDs, result columns


@dataclass(frozen=True)
class Catalog:
    """Describes and answers catalog statements through the catalog engine."""

    engine: CatalogEngine | None
    policy: PolicyEngine | None
    concurrency: ConcurrencyLimiter
    records: StatementAudit

    def session(self, ctx: SessionContext) -> CatalogSession:
        """The session as the catalog engine sees it: who asks, and what they may see."""
        policy, principal = self.policy, ctx.principal
        return CatalogSession(
            user=ctx.user,
            database=ctx.database,
            search_path=ctx.settings.search_path(ctx.user),
            settings=dict(ctx.settings.values),
            backend_pid=ctx.backend_pid,
            can_read=lambda dataset, table: can_read(policy, principal, dataset, table),
            row_filtered=lambda dataset, table: row_filtered(policy, principal, dataset, table),
            server_version=ctx.settings.get("server_version"),
        )

    async def describe(self, ctx: SessionContext, prepared: Prepared) -> Description:
        """Parameter types and columns, worked out once per prepared statement."""
        if prepared.catalog_description is None:
            engine = self._engine()
            async with self.concurrency.slot(ctx.principal, "catalog"):
                prepared.catalog_description = await engine.describe(
                    prepared.text, prepared.declared_oids, self.session(ctx)
                )
        return prepared.catalog_description

    async def run(
        self, ctx: SessionContext, prepared: Prepared, params: Sequence[object | None]
    ) -> RowStream:
        engine = self._engine()
        answered = await self.records.local(ctx, prepared.text, params)
        try:
            async with self.concurrency.slot(ctx.principal, "catalog"):
                result = await engine.run(prepared.text, list(params), self.session(ctx))
        except Exception as failure:
            failed = failure if isinstance(failure, PgError) else internal_error(failure, "reading a catalog")
            await self.records.local_done(ctx, answered, 0, failed)
            raise failed from None
        batches = list(result.batches)
        await self.records.local_done(ctx, answered, sum(b.num_rows for b in batches), None)
        return RowStream(tuple(result.columns), _replay(batches))

    def _engine(self) -> CatalogEngine:
        if self.engine is None:
            raise PgError(SqlState.FEATURE_NOT_SUPPORTED, "catalog queries are not available")
        return self.engine


async def _replay(batches: Sequence[pa.RecordBatch]) -> AsyncIterator[pa.RecordBatch]:
    for batch in batches:
        yield batch
