"""Date and time arithmetic: date +/- integer, date - date, timestamp - timestamp, +/- interval.

date +/- integer is a date, date - date an integer (DATE_DIFF), timestamp - timestamp an
interval (PostgreSQL's microsecond difference with justify_hours applied); date and
timestamp +/- a single-unit interval literal is a timestamp, and a timestamptz +/- days or
longer counts on the session zone's calendar. Other intervals are refused: BigQuery's
month-and-day arithmetic on them is not verified to match.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
from pgbridge.sql.translate.build import cast, type_at
from pgbridge.sql.translate.checks import type_name
from pgbridge.sql.translate.constructs.intervals import interval_parts
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("date arithmetic")


def result_type(t: Typer, node: exp.Binary, left: str | None, right: str | None) -> str | None:
    """The type of + - * with a date or time operand (arithmetic.py's rule hands them over)."""
    add = isinstance(node, exp.Add)
    sub = isinstance(node, exp.Sub)
    if (add or sub) and left == T.DATE and right == T.INT:
        return T.DATE
    if add and left == T.INT and right == T.DATE:
        return T.DATE
    if sub and left == right == T.DATE:
        return T.INT
    if sub and left == right and left in (T.DATETIME, T.TIMESTAMP):
        return T.INTERVAL  # a time difference, whole days moved into the day field (below)
    if T.INTERVAL in (left, right):
        _check_interval_operand(node)
    if (add or sub) and left in (T.DATE, T.DATETIME) and right == T.INTERVAL:
        return T.DATETIME
    if add and left == T.INTERVAL and right in (T.DATE, T.DATETIME):
        return T.DATETIME
    if (add or sub) and left == T.TIMESTAMP and right == T.INTERVAL:
        interval = node.expression
        if not isinstance(interval, exp.Interval):
            raise unsupported("timestamptz +/- a computed interval", hint="write interval '3 days' directly")
        parts = interval_parts(interval)
        if parts is not None and parts[1] not in ("HOUR", "MINUTE", "SECOND"):
            t.zone()  # days and longer count on the session zone's calendar
        return T.TIMESTAMP
    op = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*"}[type(node)]
    raise unsupported(f"operator {type_name(left)} {op} {type_name(right)}")


def _check_interval_operand(node: exp.Binary) -> None:
    # Date arithmetic is translated for single-unit interval literals (interval '3 days');
    # BigQuery's month-and-day arithmetic on other intervals is not verified to match.
    interval = node.expression if isinstance(node.expression, exp.Interval) else node.this
    if not isinstance(interval, exp.Interval) or interval_parts(interval) is None:
        raise unsupported(
            "date/time arithmetic with this interval", hint="use one unit, e.g. + interval '3 days'"
        )


@construct.fixup(exp.Add, exp.Sub)
def _date_arithmetic_fix(t: Typer, node: exp.Binary) -> exp.Expr | None:
    left, right = type_at(t, node.this), type_at(t, node.expression)
    a, b = node.this, node.expression
    if left == T.INTERVAL:  # interval + date: put the date first
        left, right, a, b = right, left, b, a
    if left == T.INT and right == T.DATE:
        left, right, a, b = right, left, b, a
    sub = isinstance(node, exp.Sub)
    if left == T.DATE and right == T.INT:
        return (exp.DateSub if sub else exp.DateAdd)(this=a, expression=b, unit=exp.Var(this="DAY"))
    if left == right == T.DATE:
        return exp.DateDiff(this=a, expression=b, unit=exp.Var(this="DAY"))
    if sub and left == right and left in (T.DATETIME, T.TIMESTAMP):
        return _time_difference(a, b, left)
    if right == T.INTERVAL and isinstance(b, exp.Interval):
        return _interval_arithmetic(t, a, left, b, sub)
    return None


def _time_difference(a: exp.Expr, b: exp.Expr, type_: str | None) -> exp.Expr:
    """timestamp - timestamp: PostgreSQL's microsecond difference with justify_hours applied."""
    diff = exp.TimestampDiff if type_ == T.TIMESTAMP else exp.DatetimeDiff
    micros = diff(this=a, expression=b, unit=exp.Var(this="MICROSECOND"))
    return exp.JustifyHours(this=exp.Interval(this=micros, unit=exp.Var(this="MICROSECOND")))


def _interval_arithmetic(
    t: Typer, a: exp.Expr, left: str | None, interval: exp.Interval, sub: bool
) -> exp.Expr:
    parts = interval_parts(interval)
    assert parts is not None
    count, unit = parts
    amount = exp.Literal.number(abs(count))
    if count < 0:
        sub = not sub
    if left == T.TIMESTAMP and unit not in ("HOUR", "MINUTE", "SECOND"):
        return timefix.add_calendar(a, abs(count), unit, sub, t.zone())
    if left == T.TIMESTAMP:
        builder: type[exp.Expr] = exp.TimestampSub if sub else exp.TimestampAdd
        return builder(this=a, expression=amount, unit=exp.Var(this=unit))
    source = cast(a, T.DATETIME) if left == T.DATE else a
    builder = exp.DatetimeSub if sub else exp.DatetimeAdd
    return builder(this=source, expression=amount, unit=exp.Var(this=unit))
