"""The pipeline's approval stage: hand a statement that needs a human decision to the
approval gate (pgbridge.policy.gate) with this session's mode, notice channel and timeout.

The wait runs inside the statement's task, so CancelRequest and statement_timeout stop it
like any running query. The request is keyed by principal, translated SQL and parameters.
A new request is announced once: what the approver needs to see goes beside it
(pgbridge.admin.request_context) and an `approval_requested` record goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pgbridge.backends.base import QueryParam
from pgbridge.wire.errors import PgError, SqlState

if TYPE_CHECKING:
    from pgbridge.policy.approvals import ApprovalRequest, ApprovalStore
    from pgbridge.server.context import DataPlan, SessionContext
    from pgbridge.server.pipeline import Pipeline


async def obtain_approval(
    pipeline: Pipeline, ctx: SessionContext, plan: DataPlan, params: Sequence[QueryParam], decision: Any
) -> dict[str, Any]:
    from pgbridge.policy.approvals import params_digest
    from pgbridge.policy.gate import choose_mode
    from pgbridge.policy.gate import obtain_approval as gate

    if pipeline.approvals is None or pipeline.approval_settings is None:
        raise PgError(
            SqlState.INSUFFICIENT_PRIVILEGE,
            f"policy rule {decision.rule} requires approval, but no approval store is configured",
        )
    setting = ctx.settings.get("pgbridge.approval")
    mode = choose_mode(decision, None if setting == "default" else setting)
    settings = pipeline.approval_settings
    timeout = settings.wait_timeout_s
    if ctx.settings.statement_timeout_ms:
        timeout = min(timeout, ctx.settings.statement_timeout_ms / 1000)
    store = _NoteNew(pipeline.approvals)

    async def announce() -> None:
        if store.asked is not None and not store.announced:
            store.announced = True
            await _announce(pipeline, ctx, plan, decision, store.asked, mode, timeout)

    async def notify(message: str) -> None:
        await announce()
        if ctx.notify is not None:
            await ctx.notify("NOTICE", "00000", message)
        else:
            ctx.notices.append(("NOTICE", "00000", message))

    digest = params_digest([(p.type, p.value) for p in params])
    try:
        request = await gate(
            store, ctx.principal, decision, plan.bigquery_sql, digest, mode, timeout, notify,
            settings.poll_interval_s, pipeline.approval_pool,
        )
    except PgError:
        await announce()  # ticket mode: the client gets the id at once; the request is new all the same
        raise
    return {"id": request.id, "approver": request.approver, "reason": request.reason, "rule": request.rule,
            "decided_at": request.decided_at}


class _NoteNew:
    """The store, noting the request the gate asks for (new or reused) so it can be announced."""

    def __init__(self, store: ApprovalStore) -> None:
        self._store = store
        self.asked: ApprovalRequest | None = None
        self.announced = False

    def request(self, *args: Any, **kwargs: Any) -> ApprovalRequest:
        self.asked = self._store.request(*args, **kwargs)
        return self.asked

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def _announce(
    pipeline: Pipeline, ctx: SessionContext, plan: DataPlan, decision: Any, request: ApprovalRequest,
    mode: str, timeout: float,
) -> None:
    """Keep the approver's view of a pending request and, the first time, audit the request."""
    from pgbridge.admin.request_context import contexts_for
    from pgbridge.audit import events
    from pgbridge.policy.approvals import in_thread

    contexts = await in_thread(pipeline.approval_pool, contexts_for, pipeline.approvals)
    if request.status != "pending" or contexts is None:
        return
    context = request_context(pipeline, ctx, plan, decision, mode, timeout)
    if await in_thread(pipeline.approval_pool, contexts.add, request.id, context) and pipeline.audit:
        fields = events.approval_requested(
            approval_id=request.id, session_id=ctx.session_id, principal=ctx.principal, context=context
        )
        await pipeline.audit.append(events.APPROVAL_REQUESTED, fields)


def request_context(
    pipeline: Pipeline, ctx: SessionContext, plan: DataPlan, decision: Any, mode: str, timeout: float
) -> dict[str, Any]:
    """What an approver sees: no parameter values, no clear data, no token."""
    masks = plan.mask_plan.audit_summary() if plan.mask_plan is not None else []
    filters = []
    if pipeline.policy is not None:
        for table in plan.tables:
            predicate = pipeline.policy.row_filter_for(ctx.principal, table.dataset, table.table)
            if predicate is not None:
                name = f"{table.dataset}.{table.table}"
                filters.append({"table": name, "filter": _as_written(predicate)})
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
            {"column": str(m["column"]), "strategy": m["strategy"], "rules": list(m["rules"])} for m in masks
        ],
        "row_filters": filters,
        "mode": mode,
        "wait_timeout_s": timeout,
    }


def _as_written(predicate: Any) -> str:
    """A row filter as the policy states it: without the alias the gateway's wrapper gives the
    filtered table (columns of subqueries inside the filter keep their own qualifiers)."""
    from sqlglot import exp

    from pgbridge.policy.filterscope import FILTERED_ALIAS

    shown = predicate.copy()
    for column in shown.find_all(exp.Column):
        if column.table == FILTERED_ALIAS:
            column.set("table", None)
    return str(shown.sql("postgres"))
