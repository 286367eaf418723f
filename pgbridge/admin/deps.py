"""What the admin listener's parts are given by the gateway: plain data, no behaviour, so the
JSON API, the console and (later) the health and metrics routes share one set of inputs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pgbridge.admin.auth import Verify
from pgbridge.auth.principal import Principal
from pgbridge.policy.approvals import ApprovalStore
from pgbridge.workers import WorkerPool

# BigQuery on-demand analysis, US multi-region list price per TiB scanned (2024): the console's
# cost estimate is bytes x this; set [server] admin_price_per_tib_usd for your contract.
ON_DEMAND_USD_PER_TIB = 6.25
Record = Callable[[str, dict[str, Any]], Awaitable[None]]  # appends one audit record


@dataclass(frozen=True)
class ConsoleSettings:
    session_minutes: int = 480  # a console sign-in lasts this long at most (and never past the token's exp)
    price_per_tib_usd: float = ON_DEMAND_USD_PER_TIB
    poll_interval_s: float = 1.0  # how often the live view looks for new requests


@dataclass(frozen=True)
class AdminDeps:
    store: ApprovalStore
    verify: Verify
    approver_role: str
    pool: WorkerPool | None = None  # the gateway's approvals pool, for store calls
    record: Record | None = None  # appends an audit record (the gateway's audit log)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)


def admin_deps(
    config: Any, store: ApprovalStore, verifier: Any, pool: WorkerPool | None, record: Record
) -> AdminDeps:
    """The gateway's parts, as the admin listener needs them."""
    server = config.server

    async def verify(token: str) -> Principal:
        return await verifier.verify(token, None)  # in the verifier's own pool (JWKS fetches block)

    return AdminDeps(
        store=store,
        verify=verify,
        approver_role=config.policy.approvals.approver_role,
        pool=pool,
        record=record,
        console=ConsoleSettings(
            session_minutes=server.admin_session_minutes, price_per_tib_usd=server.admin_price_per_tib_usd
        ),
    )
