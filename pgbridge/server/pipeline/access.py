"""What a principal may see of a table without running anything: whether it reads the table
at all, and whether a row filter narrows what it reads.

The catalog asks both (a table the principal cannot read is not listed; a row-filtered
table's size statistics are hidden), and so does the cost rule (a byte estimate of a
row-filtered table describes the whole table, so it is never shown). Without a policy the
gateway runs read-only queries only, and hides nothing of what they read.
"""

from __future__ import annotations

from collections.abc import Iterable

from pgbridge.auth.principal import Principal
from pgbridge.policy.engine import PolicyEngine
from pgbridge.sql.names.resolve import TableRef


def can_read(policy: PolicyEngine | None, principal: Principal, dataset: str, table: str) -> bool:
    return policy is None or policy.can_read(principal, dataset, table)


def row_filtered(policy: PolicyEngine | None, principal: Principal, dataset: str, table: str) -> bool:
    return policy is not None and policy.row_filter_for(principal, dataset, table) is not None


def estimate_hidden(policy: PolicyEngine | None, principal: Principal, tables: Iterable[TableRef]) -> bool:
    """Whether a byte estimate over `tables` would describe a table the principal reads filtered."""
    return any(row_filtered(policy, principal, t.dataset, t.table) for t in tables)
