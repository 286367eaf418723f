"""Policy: who may run what, decided on the parsed statement; approvals; per-principal limits.

The pipeline hands this package a resolved sqlglot AST (postgres dialect), the raw text and
a `Principal`. `PolicyEngine` answers allow / deny / approve; `apply_row_filters` rewrites
reads of filtered tables; approvals (store, CLI, HTTP, the wait/ticket gate) and limits live
in their own modules.
"""

from pgbridge.policy.approvals import (
    ApprovalError,
    ApprovalRequest,
    ApprovalStore,
    SqliteApprovalStore,
    params_digest,
    wait_for_decision,
)
from pgbridge.policy.engine import Decision, PolicyEngine
from pgbridge.policy.gate import choose_mode, obtain_approval
from pgbridge.policy.limits import LimitTracker
from pgbridge.policy.settings import PolicySettings, policy_settings_from

__all__ = [
    "ApprovalError",
    "ApprovalRequest",
    "ApprovalStore",
    "Decision",
    "LimitTracker",
    "PolicyEngine",
    "PolicySettings",
    "SqliteApprovalStore",
    "choose_mode",
    "obtain_approval",
    "params_digest",
    "policy_settings_from",
    "wait_for_decision",
]
