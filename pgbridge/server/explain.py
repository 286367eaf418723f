"""EXPLAIN: what pgbridge would do with a statement, without running it.

PostgreSQL's plan means nothing for BigQuery, so EXPLAIN answers with the gateway's own plan:
the policy decision, the dry run's bytes and the cost rule, the masks, and the BigQuery SQL
that would run. The statement goes through the same stages as a real one (resolution,
policy, row filters, masking, translation), so EXPLAIN cannot show more than running it
would. EXPLAIN ANALYZE would run the statement and is refused. Every refused EXPLAIN
(ANALYZE, one that cannot be read, one of a statement policy denies) is audited like any
refusal; the pipeline does that around `explained_statement` and `plan_lines`.

The byte estimate of a statement that reads a row-filtered table describes the whole table
(BigQuery's dry run bills whole columns, whatever the filter), which the role may not learn:
the catalog hides those tables' sizes, and so does every message here and in the pipeline that
would carry the figure (EXPLAIN's lines, the cost rule's message, a cost refusal, an approval
request's message). The cost rule still decides on the real estimate.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import Kind, Statement
from pgbridge.wire.errors import PgError, SqlState

if TYPE_CHECKING:
    from pgbridge.server.pipeline import DataPlan

_OPTIONS = re.compile(
    r"^\s*explain\b\s*(?:\((?P<options>[^)]*)\))?(?P<words>(?:\s*\b(?:analyze|analyse|verbose)\b)*)",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"would scan [\d,]+ bytes, over")
WITHHELD = "withheld (the statement reads a row-filtered table; the estimate would describe the whole table)"


def explained_text(text: str) -> str:
    """The statement an EXPLAIN asks about; raises for EXPLAIN ANALYZE."""
    match = _OPTIONS.match(text)
    if match is None:
        raise PgError(SqlState.SYNTAX_ERROR, "could not read the EXPLAIN statement")
    options = (match.group("options") or "").lower()
    words = (match.group("words") or "").lower()
    if "analy" in words or _analyze_on(options):
        raise PgError(
            SqlState.INSUFFICIENT_PRIVILEGE,
            "EXPLAIN ANALYZE is not allowed: it would run the statement",
            detail="policy rule: explain.analyze",
            hint="use EXPLAIN without ANALYZE to see pgbridge's plan and the bytes it would scan",
        )
    return text[match.end() :].strip()


def explained_statement(text: str) -> Statement:
    """The parsed statement an EXPLAIN asks about: a query or a DML statement."""
    inner = parse_statement(explained_text(text))
    if inner.kind not in (Kind.QUERY, Kind.DML):
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, "EXPLAIN works for queries and DML statements")
    return inner


def _analyze_on(options: str) -> bool:
    for option in options.split(","):
        words = option.split()
        if words and words[0] in ("analyze", "analyse"):
            return len(words) == 1 or words[1] not in ("false", "off", "0")
    return False


def plan_lines(plan: DataPlan, cost: Any, estimate_hidden: bool) -> list[str]:
    """EXPLAIN's rows. `cost` is the cost rule's decision (None without a policy)."""
    decision = plan.decision
    lines = [
        "pgbridge plan (nothing was run)",
        f"Decision: {decision.action if decision else 'allow'} "
        f"(rule {decision.rule if decision else 'default.read_only'})",
        f"Estimated bytes scanned: {WITHHELD if estimate_hidden else f'{plan.bytes_estimate or 0:,}'}",
    ]
    if cost is not None:
        lines.append(f"Cost rule: {cost.action} ({cost.rule}){': ' + cost.message if cost.message else ''}")
    for mask in plan.mask_plan.audit_summary() if plan.mask_plan else []:
        lines.append(f"Masked column {mask['column']}: {mask['strategy']} (rules {', '.join(mask['rules'])})")
    lines.append("BigQuery SQL:")
    lines.extend("  " + line for line in plan.bigquery_sql.splitlines())
    return lines


def cost_without_figure(cost: Any, estimate: int | None) -> Any:
    """The cost decision with the estimate taken out of its message (the limit stays)."""
    message = _FIGURE.sub("would scan more than", cost.message or "")
    if estimate and (f"{estimate:,}" in message or str(estimate) in message):
        message = f"the statement is over the byte limit of rule {cost.rule}"
    return dataclasses.replace(cost, message=message)


def over_limit_message(estimate: int | None, cost: Any, estimate_hidden: bool) -> str:
    """The 54000 a statement gets when the cost rule denies it."""
    scan = "more bytes than" if estimate_hidden else f"{estimate} bytes, over"
    return f"query would scan {scan} the limit of policy rule {cost.rule}: {cost.message}"
