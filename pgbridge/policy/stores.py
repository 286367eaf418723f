"""Which stores a gateway uses: for approvals, the SQLite file (one gateway, the default) or
PostgreSQL (`[policy.store] url`, shared by several gateways; pgbridge.policy.approvals_pg); for
limits, this process's memory, a SQLite file shared by `serve --workers N`, or the same
PostgreSQL store (pgbridge.policy.limits_pg)."""

from __future__ import annotations

from pgbridge.policy.approvals import ApprovalStore, SqliteApprovalStore
from pgbridge.policy.limits import LimitTracker
from pgbridge.policy.limits_store import SharedLimitTracker, limits_path
from pgbridge.policy.settings import PolicySettings


def open_approval_store(policy: PolicySettings) -> ApprovalStore:
    """Blocking (connects and migrates): call it from a thread. Raises PgError (58000) when the
    PostgreSQL store cannot be reached, so the gateway does not start half-configured."""
    approvals = policy.approvals
    if policy.store_url is None:
        return SqliteApprovalStore(approvals.store_path, approvals.pending_ttl_s, approvals.approved_ttl_s)
    # imported only when configured: one gateway on SQLite never loads the pool
    from pgbridge.policy.approvals_pg import PostgresApprovalStore

    return PostgresApprovalStore(policy.store_url, approvals.pending_ttl_s, approvals.approved_ttl_s).open()


def close_approval_store(store: ApprovalStore) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


async def open_limit_tracker(policy: PolicySettings, gateway_id: str, worker: int | None) -> LimitTracker:
    """Where limits are counted: the shared store when there is one (every gateway, every worker),
    else a file every worker of `serve --workers N` sees, else this process. Raises PgError
    (58000) when the PostgreSQL store cannot be reached, so the gateway does not start."""
    if policy.store_url is not None:
        from pgbridge.policy.limits_pg import PostgresLimitTracker

        tracker = PostgresLimitTracker(policy, policy.store_url, gateway_id, policy.store_lease_s)
        return await tracker.open()
    if worker is not None:
        return SharedLimitTracker(policy, limits_path(policy.approvals.store_path), worker)
    return LimitTracker(policy)
