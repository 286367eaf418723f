"""Interval literals: interval '1 day 02:00:00', interval '3' day.

The literal is parsed by PostgreSQL's rules (pgbridge.sql.literals) and becomes BigQuery's
canonical interval literal of the same months, days and time. Date arithmetic consumes a
single-unit interval itself (date_arithmetic.py); interval_parts reads that unit.
"""

from __future__ import annotations

import re

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.literals import parse_interval
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("intervals")

INTERVAL_KEY = "pg_interval"  # node.meta: the literal's value (literals.IntervalValue)
_INTERVAL_UNITS = {
    "year": "YEAR",
    "month": "MONTH",
    "week": "WEEK",
    "day": "DAY",
    "hour": "HOUR",
    "minute": "MINUTE",
    "second": "SECOND",
}


@construct.rule(exp.Interval)
def _interval(t: Typer, node: exp.Interval) -> str | None:
    text = node.this.name if isinstance(node.this, exp.Literal) else None
    if text is None or isinstance(node.args.get("unit"), exp.IntervalSpan):
        raise unsupported(f"interval {node.sql('postgres')}", hint="write interval '3 days'")
    node.meta[INTERVAL_KEY] = parse_interval(text, node.text("unit"))
    return T.INTERVAL


def interval_parts(node: exp.Interval) -> tuple[int, str] | None:
    """(count, BigQuery unit) of a single-unit integer interval literal, else None."""
    text = node.this.name if isinstance(node.this, exp.Literal) else ""
    unit = node.text("unit")
    match = re.fullmatch(r"\s*(-?\d+)\s*([a-zA-Z]*)\s*", text)
    if match is None:
        return None
    word = (match.group(2) or unit).lower().rstrip("s")
    if (match.group(2) and unit) or word not in _INTERVAL_UNITS:
        return None
    return int(match.group(1)), _INTERVAL_UNITS[word]


@construct.fixup(exp.Interval)
def _interval_fix(t: Typer, node: exp.Interval) -> exp.Expr | None:
    # Date arithmetic consumes a single-unit interval itself (_interval_arithmetic); an interval
    # value is BigQuery's canonical literal of the same months, days and time.
    if isinstance(node.parent, (exp.Add, exp.Sub)) and interval_parts(node) is not None:
        return None
    value = node.meta.get(INTERVAL_KEY)
    return value.bigquery() if value is not None else None
