"""The approval step of the pipeline, in one call: find, ask, wait or hand out a ticket.

For a statement whose decision is "approve" (by statement, table or cost rule — one request
covers them all, since the key is the same): an approved request for the same principal, SQL
and parameters is consumed and the statement runs; a denied one fails with the approver's
reason; otherwise a request is made (or the pending one reused) and, in ticket mode, the
client gets its id at once; in wait mode a notice names it and the call waits for a decision.
Cancelling the awaiting task (CancelRequest, statement_timeout) stops the wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from pgbridge.auth.principal import Principal
from pgbridge.policy.approvals import (
    ApprovalError,
    ApprovalRequest,
    ApprovalStore,
    in_thread,
    outcome_error,
    pending_notice,
    timeout_error,
    wait_for_decision,
)
from pgbridge.policy.engine import Decision
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import WorkerPool

Mode = Literal["wait", "ticket"]
SESSION_SETTING = "pgbridge.approval"


def choose_mode(decision: Decision, session_value: str | None, default: Mode = "wait") -> Mode:
    """The client's `pgbridge.approval` setting if it set one, else the rule's mode."""
    if session_value is None or session_value == "":
        return decision.approval_mode or default
    value = session_value.strip().lower()
    if value not in ("wait", "ticket"):
        raise PgError(SqlState.INVALID_PARAMETER_VALUE,
                      f"invalid value for {SESSION_SETTING}: {session_value!r} (use wait or ticket)")
    return "ticket" if value == "ticket" else "wait"


async def obtain_approval(
    store: ApprovalStore,
    principal: Principal,
    decision: Decision,
    sql: str,
    params_digest: str,
    mode: Mode,
    timeout_s: float,
    notify: Callable[[str], Awaitable[None]],
    poll_interval: float = 0.2,
    pool: WorkerPool | None = None,
    on_pending: Callable[[ApprovalRequest], Awaitable[None]] | None = None,
) -> ApprovalRequest:
    """Return the consumed approval, or raise the PgError the client should see. Store calls
    run in `pool`; the wait for a decision holds no thread. `on_pending` hears of the pending
    request (new or reused) before the client is told of it."""
    found = await in_thread(pool, store.find, principal, sql, params_digest)
    if found is not None and found.status in ("approved", "denied"):
        return await _settle(store, found, pool)
    request = await in_thread(
        pool, store.request, principal, sql, params_digest, decision.rule, decision.message
    )
    if request.status == "pending" and on_pending is not None:
        await on_pending(request)
    if request.status != "pending":
        return await _settle(store, request, pool)
    if mode == "ticket":
        error = outcome_error(request)
        assert error is not None
        raise error
    await notify(pending_notice(request, timeout_s))
    result = await wait_for_decision(store, request.id, timeout_s, poll_interval, pool)
    if result.status == "pending":
        raise timeout_error(result, timeout_s)
    return await _settle(store, result, pool)


async def _settle(store: ApprovalStore, request: ApprovalRequest, pool: WorkerPool | None) -> ApprovalRequest:
    error = outcome_error(request)
    if error is not None:
        raise error
    try:
        return await in_thread(pool, store.consume, request.id)
    except ApprovalError as exc:  # another session used it first, or it just expired
        raise PgError(SqlState.INSUFFICIENT_PRIVILEGE, f"approval {request.id} cannot be used: {exc.message}",
                      hint="run the statement again to ask for a new approval") from None
