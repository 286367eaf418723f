"""Which approvals store a gateway uses: the SQLite file (one gateway, the default) or
PostgreSQL (`[policy.store] url`, shared by several gateways; pgbridge.policy.approvals_pg)."""

from __future__ import annotations

from pgbridge.policy.approvals import ApprovalStore, SqliteApprovalStore
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
