"""Deciding an approval request from the admin listener, the same way for the JSON API and
the console: the store enforces four eyes and decides once (the CLI's own rules), then the
decision goes to the gateway's audit log as an `approval_decided` record naming the verified
approver. The decision is taken before it is recorded because only the store knows whether it
is allowed; a record that cannot be written is logged and reported as a failure to the caller.
"""

from __future__ import annotations

import logging

from pgbridge.admin.deps import AdminDeps
from pgbridge.audit import events
from pgbridge.auth.principal import Principal
from pgbridge.policy.approvals import ApprovalRequest, in_thread

log = logging.getLogger("pgbridge.admin")


class DecisionNotRecorded(Exception):
    """The store decided, but the audit record of the decision could not be written."""


async def decide(
    deps: AdminDeps, request_id: str, approver: Principal, approve: bool, reason: str | None, via: str
) -> ApprovalRequest:
    """Decide `request_id` as `approver` in `deps.store`; raises ApprovalError when the store
    refuses. `via` names the door (admin_api, console) in the audit record."""
    decided = await in_thread(deps.pool, deps.store.decide, request_id, approver.subject, approve, reason)
    if deps.record is None:
        return decided
    fields = events.approval_decided(
        approval_id=decided.id,
        requester=decided.requester,
        approver=approver,
        decision="approved" if approve else "denied",
        reason=decided.reason,
        rule=decided.rule,
        requested_at=decided.created_at,
        decided_at=decided.decided_at,
        via=via,
    )
    try:
        await deps.record(events.APPROVAL_DECIDED, fields)
    except Exception as failure:
        log.critical("approval %s was decided but its audit record failed", decided.id, exc_info=True)
        raise DecisionNotRecorded(decided.id) from failure
    return decided
