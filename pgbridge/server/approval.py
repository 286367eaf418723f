"""The pipeline's approval stage: hand a statement that needs a human decision to the
approval gate (pgbridge.policy.gate) with this session's mode, notice channel and timeout.

The wait runs inside the statement's task, so CancelRequest and statement_timeout stop it
like any running query. The request is keyed by principal, translated SQL and parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pgbridge.backends.base import QueryParam
from pgbridge.wire.errors import PgError, SqlState

if TYPE_CHECKING:
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

    async def notify(message: str) -> None:
        if ctx.notify is not None:
            await ctx.notify("NOTICE", "00000", message)
        else:
            ctx.notices.append(("NOTICE", "00000", message))

    digest = params_digest([(p.type, p.value) for p in params])
    request = await gate(
        pipeline.approvals,
        ctx.principal,
        decision,
        plan.bigquery_sql,
        digest,
        mode,
        timeout,
        notify,
        settings.poll_interval_s,
        pipeline.approval_pool,
    )
    return {"id": request.id, "approver": request.approver, "reason": request.reason, "rule": request.rule}
