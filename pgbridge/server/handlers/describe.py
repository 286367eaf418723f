"""Describe without running: a statement's parameter types and the columns it will return.

Which columns follows the routing table (routing.py): none for the session's own commands,
a setting's for SHOW, one text column for EXPLAIN, an open cursor's for FETCH, and the
pipeline's answer for the rest. Parameter types are the client's where it declared them in
Parse and the plan's where it sent 0 ("unspecified").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pgbridge.server.context import Prepared, SessionContext
from pgbridge.server.handlers.local import show_columns
from pgbridge.server.handlers.port import PipelinePort
from pgbridge.server.pipeline.explain import explain_columns
from pgbridge.server.portals import Portal
from pgbridge.server.protocol.core import ProtocolCore
from pgbridge.server.routes import Columns, Params, route_of
from pgbridge.sql.statements.model import FetchCommand, ShowCommand
from pgbridge.typemap import OutputColumn


@dataclass(frozen=True, slots=True)
class Describer:
    ctx: SessionContext
    pipeline: PipelinePort
    core: ProtocolCore[Prepared, Portal]

    async def columns(self, prepared: Prepared) -> Sequence[OutputColumn] | None:
        """The columns Execute will return; None: it returns no rows (NoData)."""
        statement = prepared.statement
        match route_of(statement).describe, statement.command:
            case Columns.SETTING, ShowCommand() as show:
                return show_columns(show, self.ctx.settings)
            case Columns.PLAN_TEXT, _:  # one column: text, or json for FORMAT JSON
                return explain_columns(statement.text)
            case Columns.CURSOR, FetchCommand(move=False, cursor=name):
                cursor = self.core.portals.find(name)
                return cursor.encoder.columns if cursor is not None and cursor.encoder is not None else None
            case Columns.PIPELINE, _:
                _, columns = await self.pipeline.describe(self.ctx, prepared)
                return columns
        return None

    async def param_oids(self, prepared: Prepared) -> tuple[int, ...]:
        """Parameter types: as the client declared them in Parse, inferred where it sent 0."""
        declared = prepared.declared_oids
        match route_of(prepared.statement).params:
            case Params.PLAN if prepared.plan is not None:
                return tuple(
                    declared[i] if i < len(declared) and declared[i] else oid
                    for i, oid in enumerate(prepared.plan.param_oids)
                )
            case Params.CATALOG:
                oids, _ = await self.pipeline.describe(self.ctx, prepared)
                return tuple(oids)
        return declared
