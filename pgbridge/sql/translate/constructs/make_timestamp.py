"""make_timestamp(y, m, d, h, mi, s) and make_timestamptz(y, m, d, h, mi, s).

As PostgreSQL's make_timestamp_internal: the date must be valid (a year before 1 is BC in
PostgreSQL, which BigQuery cannot hold: it fails), hours 0-24, minutes 0-59, the seconds
(float8) rounded to microseconds with rint() and at most 60, and the whole time at most
24:00:00, which is the next midnight. Any other input fails as in PostgreSQL. The integer
arguments must be int4 expressions (PostgreSQL has no bigint form); a numeric literal for
the seconds is read as float8. make_timestamptz reads the fields as wall-clock time in the
session zone; its form with a time zone argument is refused.
"""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.checks import want
from pgbridge.sql.translate.constructs.to_timestamp import numeric_literal, rint
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("make_timestamp")

_FIELDS = ("year", "month", "day", "hour", "min")


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.TimestampFromParts):
        args = [node.args.get(name) for name in (*_FIELDS, "sec")]
        if any(a is None for a in args) or node.args.get("zone") is not None:
            raise unsupported("make_timestamp() without six arguments")
        return [a for a in args if a is not None]
    if len(node.expressions) != 6:
        raise unsupported("make_timestamptz() with a time zone argument or without six arguments")
    return list(node.expressions)


def _check(t: Typer, node: exp.Expr, what: str) -> None:
    args = _arguments(node)
    for arg in args[:5]:
        want(t, arg, (T.INT,), what)
        if id(arg) not in t.int4 and not isinstance(arg, (exp.Literal, exp.Neg)):
            raise unsupported(f"{what} of bigint", hint=f"PostgreSQL's {what} takes integers (int4)")
    seconds = args[5]
    t.settle(seconds, T.FLOAT)
    kind = t.types.get(id(seconds))
    written = numeric_literal(seconds)
    if kind == T.NUMERIC and written is not None:
        replacement = exp.Literal.number(repr(float(Decimal(written))))
        seconds.replace(replacement)
        t.set_type(replacement, T.FLOAT)
    elif kind not in (T.INT, T.FLOAT):
        raise unsupported(f"{what} with seconds of {(kind or 'unknown').lower()}")


@construct.rule(exp.TimestampFromParts)
def _make_timestamp(t: Typer, node: exp.TimestampFromParts) -> str | None:
    _check(t, node, "make_timestamp()")
    return T.DATETIME


@construct.rule("make_timestamptz")
def _make_timestamptz(t: Typer, node: exp.Anonymous) -> str | None:
    _check(t, node, "make_timestamptz()")
    t.zone()
    return T.TIMESTAMP


def _built(node: exp.Expr) -> exp.Expr:
    year, month, day, hour, minute, seconds = (a.copy() for a in _arguments(node))
    hour, minute = cast(hour, T.INT), cast(minute, T.INT)  # int8 arithmetic (DuckDB: int4 literals)
    micros = rint(exp.Mul(this=cast(seconds, T.FLOAT), expression=exp.Literal.number("1e6")))
    clock = exp.Mul(
        this=exp.Paren(
            this=exp.Add(
                this=exp.Mul(this=hour.copy(), expression=exp.Literal.number(3600)),
                expression=exp.Mul(this=minute.copy(), expression=exp.Literal.number(60)),
            )
        ),
        expression=exp.Literal.number(1_000_000),
    )
    total = exp.Add(this=clock, expression=micros.copy())
    invalid = _any(
        exp.LT(this=year.copy(), expression=exp.Literal.number(1)),
        exp.LT(this=hour.copy(), expression=exp.Literal.number(0)),
        exp.GT(this=hour, expression=exp.Literal.number(24)),
        exp.LT(this=minute.copy(), expression=exp.Literal.number(0)),
        exp.GT(this=minute, expression=exp.Literal.number(59)),
        call("IS_NAN", cast(seconds, T.FLOAT)),
        exp.LT(this=micros.copy(), expression=exp.Literal.number(0)),
        exp.GT(this=micros, expression=exp.Literal.number(60_000_000)),
        exp.GT(this=total.copy(), expression=exp.Literal.number(86_400_000_000)),
    )
    midnight = cast(call("DATE", year, month, day), T.DATETIME)
    stamp = exp.DatetimeAdd(this=midnight, expression=total, unit=exp.Var(this="MICROSECOND"))
    fails = cast(call("ERROR", exp.Literal.string("date/time field value out of range")), T.DATETIME)
    return exp.If(this=invalid, true=fails, false=stamp)


def _any(*conditions: exp.Expr) -> exp.Expr:
    result = conditions[0]
    for condition in conditions[1:]:
        result = exp.Or(this=result, expression=condition)
    return result


@construct.fixup(exp.TimestampFromParts)
def _make_timestamp_fix(t: Typer, node: exp.TimestampFromParts) -> exp.Expr:
    return _built(node)


@construct.fixup("make_timestamptz")
def _make_timestamptz_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    return timefix.zoned_timestamp(_built(node), t.zone())
