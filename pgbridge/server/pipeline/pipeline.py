"""The pipeline: what the session hands a statement to, and the order of its stages.

A statement's route (route.py) decides who answers it. A data statement is planned once per
prepared statement (plan.py: resolve, policy, masks, row filters, translate), then at every
execution admitted (admit.py: parameters, dry run, cost, approval, limits), started
(start.py: the write-ahead audit record, the backend job), and its rows filtered on their way
to the client (results.py: max_rows, masking, JSON nulls, recording, the completion record).
Catalog queries go to the local catalog engine (catalog.py); EXPLAIN shows the plan and its
cost without running anything (explain.py). Every refusal is audited (records.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from pgbridge.audit.log import AuditLog
from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Backend
from pgbridge.backends.metadata import MetadataCache
from pgbridge.catalog.api import CatalogSession
from pgbridge.catalog.engine import CatalogEngine
from pgbridge.config import NameSettings
from pgbridge.masking.settings import MaskingSettings
from pgbridge.policy.concurrency import ConcurrencyLimiter
from pgbridge.policy.engine import PolicyEngine
from pgbridge.policy.limits import LimitTracker
from pgbridge.server.context import DataPlan, Prepared, SessionContext
from pgbridge.server.outcomes import Outcome, RowStream
from pgbridge.server.pipeline import access
from pgbridge.server.pipeline.admit import Admit
from pgbridge.server.pipeline.approval import ApprovalDesk
from pgbridge.server.pipeline.catalog import Catalog, Description
from pgbridge.server.pipeline.explain import (
    explain_columns,
    explain_format,
    explained_statement,
    plan_document,
    plan_json_rows,
    plan_lines,
    plan_rows,
)
from pgbridge.server.pipeline.plan import Planner, output_columns
from pgbridge.server.pipeline.plan_cache import SharedPlans
from pgbridge.server.pipeline.records import StatementAudit
from pgbridge.server.pipeline.results import Results
from pgbridge.server.pipeline.start import Start
from pgbridge.server.routes import Stage, route_of
from pgbridge.sql.statements.model import Statement
from pgbridge.typemap import OutputColumn
from pgbridge.wire.errors import PgError, denied


class Pipeline:
    """Runs catalog and data statements for sessions; shared by all connections."""

    def __init__(
        self,
        *,
        backend: Backend,
        metadata: MetadataCache,
        names: NameSettings,
        catalog: CatalogEngine | None = None,
        policy: PolicyEngine | None = None,
        masking: MaskingSettings | None = None,
        audit: AuditLog | None = None,
        approvals: ApprovalDesk | None = None,
        limits: LimitTracker | None = None,
        concurrency: ConcurrencyLimiter | None = None,
    ) -> None:
        self.metadata = metadata
        self.policy = policy
        self.records = StatementAudit(audit)
        # Per-principal caps on backend and catalog work (roles' max_concurrent_*).
        slots = concurrency or ConcurrencyLimiter(policy.settings if policy is not None else None)
        self.plans = SharedPlans(policy)
        self.planner = Planner(metadata, names, policy, masking, self.plans)
        self.catalog = Catalog(catalog, policy, slots, self.records)
        self.admit = Admit(backend, metadata, policy, limits, approvals, slots, self.records)
        self.start = Start(backend, policy, slots, self.records)
        self.results = Results(policy, audit, slots, self.records)

    async def prepare(
        self, ctx: SessionContext, statement: Statement, declared_oids: Sequence[int]
    ) -> Prepared:
        prepared = Prepared(statement.text, statement, tuple(declared_oids))
        if route_of(statement).stage is Stage.DATA:
            try:
                prepared.plan = await self.planner.plan(ctx, statement, declared_oids)
            except PgError as error:
                await self.records.refusal(ctx, statement, error)
                raise
        return prepared

    async def describe(
        self, ctx: SessionContext, prepared: Prepared
    ) -> tuple[tuple[int, ...], tuple[OutputColumn, ...] | None]:
        """ParameterDescription OIDs and RowDescription columns, without running anything."""
        match route_of(prepared.statement).stage:
            case Stage.CATALOG:
                description: Description = await self.catalog.describe(ctx, prepared)
                return description
            case Stage.EXPLAIN:
                return (), explain_columns(prepared.statement.text)
            case Stage.DATA:
                plan = await self.planner.current(ctx, prepared)
                if plan is not None:
                    return await self._describe_data(ctx, plan)
        return tuple(prepared.declared_oids), None

    async def execute(
        self, ctx: SessionContext, prepared: Prepared, params: Sequence[object | None]
    ) -> Outcome:
        statement = prepared.statement
        # EXPLAIN is answered by `explain`, as a statement of its own: here (a cursor's or a
        # COPY's query) it is refused, as PostgreSQL's grammar refuses it there.
        match route_of(statement).stage:
            case Stage.CATALOG:
                return await self.catalog.run(ctx, prepared, params)
            case Stage.DATA:
                plan = await self.planner.current(ctx, prepared)
                if plan is not None:
                    return await self._run_data(ctx, prepared, plan, params)
        raise denied(f"{statement.kind.name} statements are not allowed through pgbridge")

    async def explain(self, ctx: SessionContext, statement: Statement) -> RowStream:
        """The gateway's plan for a statement (EXPLAIN), without running it; a refusal is
        recorded like any refused statement, under the EXPLAIN's own text."""
        try:
            as_json = explain_format(statement.text) == "json"
            plan = await self.planner.plan(ctx, explained_statement(statement.text), ())
            cost = await self.admit.cost(ctx, plan)
            lines = plan_lines(plan, cost)
        except PgError as error:
            await self.records.refusal(ctx, statement, error)
            raise
        answered = await self.records.local(ctx, statement.text, (), decision="explain")
        await self.records.local_done(ctx, answered, 1 if as_json else len(lines), None)
        return plan_json_rows(plan_document(plan, cost, lines)) if as_json else plan_rows(lines)

    def catalog_session(self, ctx: SessionContext) -> CatalogSession:
        return self.catalog.session(ctx)

    def can_read(self, principal: Principal, dataset: str, table: str) -> bool:
        return access.can_read(self.policy, principal, dataset, table)

    def row_filtered(self, principal: Principal, dataset: str, table: str) -> bool:
        return access.row_filtered(self.policy, principal, dataset, table)

    def search_path(self, ctx: SessionContext) -> tuple[str, ...]:
        return ctx.settings.search_path(ctx.user)

    async def _describe_data(
        self, ctx: SessionContext, plan: DataPlan
    ) -> tuple[tuple[int, ...], tuple[OutputColumn, ...] | None]:
        if plan.kind == "dml":
            return plan.param_oids, None
        await self.admit.dry_run(ctx, plan)
        return plan.param_oids, output_columns(plan, plan.fields or ())

    async def _run_data(
        self, ctx: SessionContext, prepared: Prepared, plan: DataPlan, params: Sequence[object | None]
    ) -> Outcome:
        admitted = await self.admit(ctx, prepared.statement, plan, params)
        job = await self.start.job(ctx, prepared, plan, admitted)
        if plan.kind == "dml":
            return await self.start.dml(ctx, plan, job)
        result = await self.start.query(ctx, plan, job)
        return self.results.stream(ctx, plan, job, result)
