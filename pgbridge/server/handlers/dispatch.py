"""Run one statement for the session and say what it returned, following routing.py.

The session's own commands are read with `match` on the typed command union
(pgbridge.sql.statements.model); data statements go through the pipeline. What the session's state
forbids (an expired token, a failed block, DML in a block) is refused first (guards.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from pgbridge.server.context import Prepared, SessionContext
from pgbridge.server.handlers import local
from pgbridge.server.handlers.copy_out import copy_out
from pgbridge.server.handlers.cursors import Cursors
from pgbridge.server.handlers.describe import Describer
from pgbridge.server.handlers.guards import check_dml_outside_block, check_failed_transaction, check_token
from pgbridge.server.handlers.plan_cache import PlanCache, plan_key
from pgbridge.server.handlers.port import PipelinePort
from pgbridge.server.outcomes import CommandDone, EmptyQuery, Outcome
from pgbridge.server.portals import Portal
from pgbridge.server.protocol.core import ProtocolCore
from pgbridge.server.routes import Plan, Run, route_of
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import (
    CopyCommand,
    DeallocateCommand,
    DiscardCommand,
    Kind,
    ListenCommand,
    LockCommand,
    ResetCommand,
    SetCommand,
    ShowCommand,
    Statement,
    TransactionCommand,
)
from pgbridge.sql.statements.split import split_statements
from pgbridge.sql.statements.tokens import Source
from pgbridge.wire.errors import PgError, SqlState, unsupported

Params = Sequence[object | None]


class Handlers:
    def __init__(
        self, ctx: SessionContext, pipeline: PipelinePort, core: ProtocolCore[Prepared, Portal]
    ) -> None:
        self.ctx = ctx
        self.pipeline = pipeline
        self.core = core
        self.cursors = Cursors(ctx, pipeline, core)
        self.describe = Describer(ctx, pipeline, core)
        self.plans = PlanCache()

    # -- reading and preparing ------------------------------------------------------------------

    async def parse(self, source: Source | str) -> Statement:
        """parse_statement, with what could not be parsed recorded in the audit log too."""
        try:
            return parse_statement(source)
        except PgError as error:
            text = source.text if isinstance(source, Source) else source
            await self.pipeline.records.refusal(
                self.ctx, Statement(text, Kind.UNKNOWN, None, None, ""), error
            )
            raise

    async def parse_one(self, sql: str) -> Statement:
        """Parse's text: one statement at most, as PostgreSQL requires of a prepared one."""
        sources = split_statements(sql)
        if len(sources) > 1:
            raise PgError(SqlState.SYNTAX_ERROR, "cannot insert multiple commands into a prepared statement")
        return await self.parse(sources[0] if sources else "")

    async def prepare(self, statement: Statement, oids: tuple[int, ...]) -> Prepared:
        if route_of(statement).parse is Plan.KEEP:
            return Prepared(statement.text, statement, oids)
        return await self.pipeline.prepare(self.ctx, statement, oids)

    # -- running ------------------------------------------------------------------------------

    async def simple(self, source: Source) -> Outcome:
        """One statement of a simple Query, its plan kept for the next time the text comes."""
        key = plan_key(source.text, self.ctx.settings, self.pipeline.metadata.generation)
        prepared = cached = self.plans.get(key)
        statement = cached.statement if cached is not None else await self.parse(source)
        check_failed_transaction(self.core.tx, statement)
        if cached is None and route_of(statement).execute is Run.PIPELINE:
            check_token(self.ctx.principal)
            prepared = await self.pipeline.prepare(self.ctx, statement, ())
        outcome = await self.run(statement, (), prepared)
        if cached is None and prepared is not None:
            self.plans.remember(key, prepared)  # once it ran: a refused execution is not kept
        return outcome

    async def run(self, statement: Statement, params: Params, prepared: Prepared | None = None) -> Outcome:
        """Execute `statement`; `prepared` is its plan when Parse or the plan cache made one."""
        check_token(self.ctx.principal)
        match route_of(statement).execute:
            case Run.EMPTY:
                return EmptyQuery()
            case Run.SESSION:
                return self._session_command(statement)
            case Run.CURSOR:
                return await self.cursors.run(statement.command)
            case Run.COPY if isinstance(statement.command, CopyCommand):
                return await copy_out(statement.command, self.ctx, self.pipeline, params)
            case Run.EXPLAIN:
                return await self.pipeline.explain(self.ctx, statement)
            case Run.PIPELINE:
                if prepared is None:
                    prepared = await self.pipeline.prepare(self.ctx, statement, ())
                check_dml_outside_block(self.core.tx, prepared)
                return await self.pipeline.execute(self.ctx, prepared, params)
        await self._refuse(statement)

    def _session_command(self, statement: Statement) -> Outcome:
        settings, tx = self.ctx.settings, self.core.tx
        match statement.command:
            case SetCommand() as command:
                return local.answer_set(command, tx, settings)
            case ResetCommand() as command:
                return local.answer_reset(command, settings)
            case ShowCommand() as command:
                return local.answer_show(command, settings)
            case TransactionCommand() as command:
                return local.answer_transaction(command, tx, statement.text)
            case DiscardCommand() as command:
                self._discard(command)
                return local.discard_tag(command)
            case DeallocateCommand(name=name):
                self.core.statements.deallocate(name)
                return CommandDone("DEALLOCATE ALL" if name is None else "DEALLOCATE")
            case ListenCommand() if statement.kind is Kind.LISTEN:
                raise unsupported("LISTEN", hint="BigQuery has no notifications")
            case ListenCommand():
                return CommandDone("UNLISTEN")
            case LockCommand() as command:
                return local.answer_lock(command, tx)
        raise PgError(SqlState.INTERNAL_ERROR, f"no local answer for {statement.kind.name}")

    def _discard(self, command: DiscardCommand) -> None:
        # DISCARD ALL resets the session (PostgreSQL: "equivalent to ... CLOSE ALL; ... RESET
        # ALL; DEALLOCATE ALL; ..."); DISCARD PLANS drops cached plans only; pgbridge has no
        # temporary tables or sequences for TEMP and SEQUENCES to drop.
        if command.what == "all":
            self.core.discard_all()
        if command.what in ("all", "plans"):
            self.plans.clear()

    async def _refuse(self, statement: Statement) -> NoReturn:
        """What could not be classified is refused, and the refusal audited."""
        await self.pipeline.records.refusal(
            self.ctx,
            statement,
            PgError(SqlState.INSUFFICIENT_PRIVILEGE, "statement could not be classified"),
        )
        raise PgError(
            SqlState.INSUFFICIENT_PRIVILEGE,
            "pgbridge could not classify this statement, so it is refused",
            detail=statement.text[:200],
        )
