"""What the session's handlers need of the pipeline, as a typed seam.

pgbridge.server.pipeline.Pipeline fits it; so does the in-memory stand-in the protocol tests
use (tests/server/memory_pipeline.py), which is why the session is written against this
Protocol rather than the class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pgbridge.server.context import Prepared, SessionContext
from pgbridge.server.outcomes import Outcome, RowStream
from pgbridge.sql.statements.model import Statement
from pgbridge.typemap import OutputColumn
from pgbridge.wire.errors import PgError


class Refusals(Protocol):
    async def refusal(self, ctx: SessionContext, statement: Statement, error: PgError) -> None: ...


class Generation(Protocol):
    @property
    def generation(self) -> int:
        """Bumped when the warehouse's metadata is refreshed: plans made before are stale."""
        ...


class PipelinePort(Protocol):
    @property
    def records(self) -> Refusals: ...

    @property
    def metadata(self) -> Generation: ...

    async def prepare(
        self, ctx: SessionContext, statement: Statement, declared_oids: Sequence[int]
    ) -> Prepared: ...

    async def describe(
        self, ctx: SessionContext, prepared: Prepared
    ) -> tuple[tuple[int, ...], tuple[OutputColumn, ...] | None]: ...

    async def execute(
        self, ctx: SessionContext, prepared: Prepared, params: Sequence[object | None]
    ) -> Outcome: ...

    async def explain(self, ctx: SessionContext, statement: Statement) -> RowStream: ...
