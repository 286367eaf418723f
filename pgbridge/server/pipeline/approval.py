"""The approval step of admission: hand a statement that needs a human decision to the
approval gate (pgbridge.policy.gate) with this session's mode, notice channel and timeout.

The wait runs inside the statement's task, so CancelRequest and statement_timeout stop it
like any running query. The request is keyed by principal, translated SQL and parameters.
A new request is announced once: what the approver needs to see goes beside it
(pgbridge.policy.approval_context) and an `approval_requested` record goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from pgbridge.audit import events
from pgbridge.audit.log import AuditLog
from pgbridge.backends.base import QueryParam
from pgbridge.policy.approval_context import contexts_for
from pgbridge.policy.approvals import ApprovalRequest, ApprovalStore, in_thread, params_digest
from pgbridge.policy.engine import Decision
from pgbridge.policy.filterscope import FILTERED_ALIAS
from pgbridge.policy.gate import choose_mode, obtain_approval
from pgbridge.policy.settings import ApprovalSettings
from pgbridge.server.context import DataPlan, SessionContext
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import WorkerPool


@dataclass(frozen=True)
class ApprovalDesk:
    """Where approval requests go: the store, its settings, and the threads its calls run in."""

    store: ApprovalStore
    settings: ApprovalSettings
    pool: WorkerPool | None = None
    audit: AuditLog | None = None
    # The principal's row filter on a table, as the policy states it (shown to the approver).
    row_filter: Callable[[SessionContext, str, str], exp.Expr | None] | None = None

    async def obtain(
        self, ctx: SessionContext, plan: DataPlan, params: Sequence[QueryParam], decision: Decision
    ) -> ApprovalRequest:
        """The consumed approval the statement runs under; raises what the client should see."""
        setting = ctx.settings.get("pgbridge.approval")
        mode = choose_mode(decision, None if setting == "default" else setting)
        timeout = self.settings.wait_timeout_s
        if ctx.settings.statement_timeout_ms:
            timeout = min(timeout, ctx.settings.statement_timeout_ms / 1000)

        async def notify(message: str) -> None:
            if ctx.notify is not None:
                await ctx.notify("NOTICE", "00000", message)
            else:
                ctx.notices.append(("NOTICE", "00000", message))

        async def announce(request: ApprovalRequest) -> None:
            await self._announce(ctx, plan, decision, request, mode, timeout)

        digest = params_digest([(p.type, p.value) for p in params])
        return await obtain_approval(
            self.store,
            ctx.principal,
            decision,
            plan.bigquery_sql,
            digest,
            mode,
            timeout,
            notify,
            self.settings.poll_interval_s,
            self.pool,
            announce,
        )

    async def _announce(
        self,
        ctx: SessionContext,
        plan: DataPlan,
        decision: Decision,
        request: ApprovalRequest,
        mode: str,
        timeout: float,
    ) -> None:
        """Keep the approver's view of a pending request and, the first time, audit it."""
        contexts = await in_thread(self.pool, contexts_for, self.store)
        if contexts is None:
            return
        context = self.request_context(ctx, plan, decision, mode, timeout)
        first = await in_thread(self.pool, contexts.add, request.id, context)
        if first and self.audit is not None:
            fields = events.approval_requested(
                approval_id=request.id, session_id=ctx.session_id, principal=ctx.principal, context=context
            )
            await self.audit.append(events.APPROVAL_REQUESTED, fields)

    def request_context(
        self, ctx: SessionContext, plan: DataPlan, decision: Decision, mode: str, timeout: float
    ) -> dict[str, object]:
        """What an approver sees: no parameter values, no clear data, no token."""
        masks = plan.mask_plan.audit_summary() if plan.mask_plan is not None else []
        filters = []
        for table in plan.tables if self.row_filter is not None else ():
            assert self.row_filter is not None
            predicate = self.row_filter(ctx, table.dataset, table.table)
            if predicate is not None:
                filters.append({"table": f"{table.dataset}.{table.table}", "filter": _as_written(predicate)})
        return {
            "session_id": ctx.session_id,
            "roles": list(ctx.principal.roles),
            "application_name": ctx.application_name,
            "sql": plan.source_sql,
            "bigquery_sql": plan.bigquery_sql,
            "bytes_estimate": plan.bytes_estimate,
            "rule": decision.rule,
            "message": decision.message,
            "masked_columns": [
                {"column": str(m["column"]), "strategy": m["strategy"], "rules": list(m["rules"])}
                for m in masks
            ],
            "row_filters": filters,
            "mode": mode,
            "wait_timeout_s": timeout,
        }


def _as_written(predicate: exp.Expr) -> str:
    """A row filter as the policy states it: without the alias the gateway's wrapper gives the
    filtered table (columns of subqueries inside the filter keep their own qualifiers)."""
    shown = predicate.copy()
    for column in shown.find_all(exp.Column):
        if column.table == FILTERED_ALIAS:
            column.set("table", None)
    return str(shown.sql("postgres"))


def no_desk(decision: Decision) -> PgError:
    """A rule asks for approval but no store is configured: fail closed, naming the rule."""
    return PgError(
        SqlState.INSUFFICIENT_PRIVILEGE,
        f"policy rule {decision.rule} requires approval, but no approval store is configured",
    )
