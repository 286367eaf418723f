"""The approval step of admission: hand a statement that needs a human decision to the
approval gate (pgbridge.policy.gate) with this session's mode, notice channel and timeout.

The wait runs inside the statement's task, so CancelRequest and statement_timeout stop it
like any running query. The request is keyed by principal, translated SQL and parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pgbridge.backends.base import QueryParam
from pgbridge.policy.approvals import ApprovalRequest, ApprovalStore, params_digest
from pgbridge.policy.engine import Decision
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
        )


def no_desk(decision: Decision) -> PgError:
    """A rule asks for approval but no store is configured: fail closed, naming the rule."""
    return PgError(
        SqlState.INSUFFICIENT_PRIVILEGE,
        f"policy rule {decision.rule} requires approval, but no approval store is configured",
    )
