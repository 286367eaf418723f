"""What a statement would cost, and the cost rule's word on it: bytes scanned (the dry run's
estimate) plus the rows the statement generates itself (series, unnest, recursion).

The byte estimate of a statement that reads a row-filtered table describes the whole table
(BigQuery's dry run bills whole columns, whatever the filter), which the role may not learn:
the catalog hides those tables' sizes, and so does every message here that would carry the
figure (the cost rule's message, a cost refusal, EXPLAIN's lines, an approval request's
message). The rule still decides on the real estimate. For the same reason the rows a
row-filtered table would feed a generator count as unknown.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pgbridge.auth.principal import Principal
from pgbridge.backends.metadata import MetadataCache
from pgbridge.policy.engine import Decision, PolicyEngine
from pgbridge.server.context import DataPlan
from pgbridge.server.pipeline.access import estimate_hidden, row_filtered
from pgbridge.sql.generated import Generated, generated_rows
from pgbridge.wire.errors import PgError, SqlState

_FIGURE = re.compile(r"would scan [\d,]+ bytes, over")


@dataclass(frozen=True)
class Cost:
    """A statement's cost as the principal may see it, and the cost rule's decision."""

    bytes_estimate: int | None  # the dry run's
    generated: Generated | None  # rows the statement makes itself; None when it makes none
    hidden: bool  # the estimate describes a row-filtered table: never shown
    decision: Decision | None  # the cost rule's; None without a policy
    shown: Decision | None  # the decision as messages show it: without the figure when hidden


def assess(
    policy: PolicyEngine | None,
    metadata: MetadataCache,
    principal: Principal,
    plan: DataPlan,
    params: Sequence[object],
) -> Cost:
    """The cost of a plan whose dry run has been made."""
    hidden = estimate_hidden(policy, principal, plan.tables)
    generated = generated_by(plan, principal, policy, metadata, params)
    if policy is None:
        return Cost(plan.bytes_estimate, generated, hidden, None, None)
    decision = policy.check_cost(principal, plan.bytes_estimate or 0, generated)
    shown = _without_figure(decision, plan.bytes_estimate) if hidden else decision
    return Cost(plan.bytes_estimate, generated, hidden, decision, shown)


def generated_by(
    plan: DataPlan,
    principal: Principal,
    policy: PolicyEngine | None,
    metadata: MetadataCache,
    params: Sequence[object],
) -> Generated | None:
    """The rows the statement generates. A row-filtered table's size is unknown to the
    estimate: using the table-wide count would let the cost rule's answer reveal it."""

    if plan.generates is False:
        return None

    def table_rows(dataset: str, table: str) -> int | None:
        if row_filtered(policy, principal, dataset, table):
            return None
        meta = metadata.table(dataset, table)
        return meta.num_rows if meta is not None else None

    generated = generated_rows(plan.ast, table_rows, params)
    # Which generators a statement has depends on its AST only, not on the parameters.
    plan.generates = generated is not None
    return generated


def refusal(cost: Cost) -> PgError:
    """The 54000 a statement gets when the cost rule denies it."""
    assert cost.decision is not None and cost.shown is not None
    if cost.generated is not None:
        # Generated rows: the rule's own message, which says how they were counted (and, but
        # for a hidden estimate, how many bytes the scan adds).
        return PgError(
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            f"query refused by policy rule {cost.shown.rule}: {cost.shown.message}",
            hint="generate fewer rows: smaller series with constant bounds, fewer cross joins",
        )
    scan = "more bytes than" if cost.hidden else f"{cost.bytes_estimate} bytes, over"
    return PgError(
        SqlState.PROGRAM_LIMIT_EXCEEDED,
        f"query would scan {scan} the limit of policy rule {cost.shown.rule}: {cost.shown.message}",
    )


def _without_figure(decision: Decision, estimate: int | None) -> Decision:
    """The cost decision with the estimate taken out of its message (the limit stays)."""
    message = _FIGURE.sub("would scan more than", decision.message or "")
    if estimate and (f"{estimate:,}" in message or str(estimate) in message):
        message = f"the statement is over the byte limit of rule {decision.rule}"
    return dataclasses.replace(decision, message=message)
