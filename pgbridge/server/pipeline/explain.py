"""EXPLAIN: what pgbridge would do with a statement, without running it.

PostgreSQL's plan means nothing for BigQuery, so EXPLAIN answers with the gateway's own plan:
the policy decision, the dry run's bytes and the cost rule, the masks, and the BigQuery SQL
that would run. The statement goes through the same stages as a real one (resolution,
policy, row filters, masking, translation), so EXPLAIN cannot show more than running it
would. EXPLAIN ANALYZE would run the statement and is refused. Every refused EXPLAIN
(ANALYZE, one that cannot be read, one of a statement policy denies) is audited like any
refusal; the pipeline does that around `explained_statement` and `plan_lines`, and records
an answered EXPLAIN like a catalog query.

An estimate that would describe a row-filtered table is withheld here as in every other
message (pgbridge.server.pipeline.cost says why).
"""

from __future__ import annotations

import json
import re

import pyarrow as pa

from pgbridge.server.context import DataPlan
from pgbridge.server.outcomes import RowStream, rows_of
from pgbridge.server.pipeline.cost import Cost
from pgbridge.sql.generated import Generated
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import Kind, Statement
from pgbridge.sql.statements.tokens import lexeme_start
from pgbridge.typemap import PG_TYPES, OutputColumn
from pgbridge.wire.errors import PgError, SqlState, unsupported

_OPTIONS = re.compile(
    r"\s*explain\b\s*(?:\((?P<options>[^)]*)\))?(?P<words>(?:\s*\b(?:analyze|analyse|verbose)\b)*)",
    re.IGNORECASE,
)
COLUMNS = (OutputColumn("QUERY PLAN", PG_TYPES["text"]),)
JSON_COLUMNS = (OutputColumn("QUERY PLAN", PG_TYPES["json"]),)
WITHHELD = "withheld (the statement reads a row-filtered table; the estimate would describe the whole table)"


def explained_text(text: str) -> str:
    """The statement an EXPLAIN asks about; raises for EXPLAIN ANALYZE."""
    start = lexeme_start(text, 0)  # past comments: `/* tool */ EXPLAIN ...` (postgres-mcp)
    match = _OPTIONS.match(text, max(start, 0))
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


def explain_format(text: str) -> str:
    """FORMAT of an EXPLAIN's options: "text" or "json" (postgres-mcp's explain_query asks for
    JSON); XML and YAML are refused rather than answered as text."""
    match = _OPTIONS.match(text, max(lexeme_start(text, 0), 0))
    for option in ((match.group("options") or "") if match else "").lower().split(","):
        words = option.split()
        if words[:1] == ["format"] and len(words) == 2:
            if words[1] not in ("text", "json"):
                raise unsupported(f"EXPLAIN (FORMAT {words[1].upper()})", hint="use FORMAT TEXT or JSON")
            return words[1]
    return "text"


def explain_columns(text: str) -> tuple[OutputColumn, ...]:
    """What Describe says an EXPLAIN returns: one column, text or json as its FORMAT asks."""
    return JSON_COLUMNS if explain_format(text) == "json" else COLUMNS


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


def plan_lines(plan: DataPlan, cost: Cost) -> list[str]:
    """EXPLAIN's rows, from a plan whose dry run has been made and its cost."""
    decision, rule = plan.decision, cost.shown
    estimate = WITHHELD if cost.hidden else f"{plan.bytes_estimate or 0:,}"
    lines = [
        "pgbridge plan (nothing was run)",
        f"Decision: {decision.action if decision else 'allow'} "
        f"(rule {decision.rule if decision else 'default.read_only'})",
        f"Estimated bytes scanned: {estimate}",
        *_generated_lines(cost.generated),
    ]
    if rule is not None:
        lines.append(f"Cost rule: {rule.action} ({rule.rule}){': ' + rule.message if rule.message else ''}")
    for mask in plan.mask_plan.audit_summary() if plan.mask_plan else []:
        lines.append(f"Masked column {mask['column']}: {mask['strategy']} (rules {', '.join(mask['rules'])})")
    lines.append("BigQuery SQL:")
    lines.extend("  " + line for line in plan.bigquery_sql.splitlines())
    return lines


def plan_document(plan: DataPlan, cost: Cost, lines: list[str]) -> str:
    """EXPLAIN (FORMAT JSON): PostgreSQL's shape (a list of one object whose "Plan" has a Node
    Type, costs, rows and width), so that clients reading it (postgres-mcp) can. pgbridge has no
    PostgreSQL plan: the one node is the BigQuery query, its cost is the bytes the dry run would
    scan (0 where the estimate is withheld), and the gateway's own plan is in "pgbridge"."""
    node = {
        "Node Type": "BigQuery Query",
        "Startup Cost": 0.0,
        "Total Cost": float(0 if cost.hidden else plan.bytes_estimate or 0),
        "Plan Rows": 0,
        "Plan Width": 0,
    }
    return json.dumps([{"Plan": node, "pgbridge": lines}])


def plan_rows(lines: list[str]) -> RowStream:
    batch = pa.RecordBatch.from_arrays([pa.array(lines, pa.string())], names=["QUERY PLAN"])
    return rows_of(COLUMNS, batch, verb="EXPLAIN")


def plan_json_rows(document: str) -> RowStream:
    batch = pa.RecordBatch.from_arrays([pa.array([document], pa.string())], names=["QUERY PLAN"])
    return rows_of(JSON_COLUMNS, batch, verb="EXPLAIN")


def _generated_lines(generated: Generated | None) -> list[str]:
    if generated is None:
        return []
    if generated.rows is None:
        return [f"Generated rows: cannot be bounded before running ({generated.what})"]
    return [
        f"Generated rows (estimate): {generated.rows:,} ({generated.what}), "
        f"counted as {generated.bytes:,} bytes"
    ]
