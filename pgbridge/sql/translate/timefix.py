"""BigQuery spellings of PostgreSQL's time-zone-dependent timestamptz operations.

PostgreSQL does calendar work on a timestamptz in the session zone: it converts the instant
to local time, works there, and converts back, resolving a local time that does not exist
(spring forward) with the offset before the change and an ambiguous one (fall back) with the
later, standard offset. BigQuery's DATETIME(ts, tz) / TIMESTAMP(datetime, tz) pair does the
same round trip (DuckDB: AT TIME ZONE with ICU, checked against PostgreSQL for both cases).

Truncation to an hour or a minute is the exception: PostgreSQL keeps the instant's own offset
there rather than looking the zone up again, so it subtracts the local remainder instead of
converting back (exact in zones with half-hour offsets and across the fall-back hour).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql.translate.zones import parse_stamp

_SUB_DAY_BY_REMAINDER = ("HOUR", "MINUTE")
_SUB_DAY_IN_UTC = ("SECOND", "MILLISECOND", "MICROSECOND")  # every zone offset is whole seconds


def _call(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def local_datetime(ts: exp.Expr, zone: exp.Literal) -> exp.Expr:
    """timestamptz -> the wall-clock timestamp in `zone` (PostgreSQL: ts AT TIME ZONE zone)."""
    return _call("DATETIME", ts, zone.copy())


def zoned_timestamp(value: exp.Expr, zone: exp.Literal) -> exp.Expr:
    """timestamp or date read as wall-clock time in `zone` -> timestamptz."""
    return _call("TIMESTAMP", value, zone.copy())


def local_date(ts: exp.Expr, zone: exp.Literal) -> exp.Expr:
    return _call("DATE", ts, zone.copy())


def trunc_timestamptz(ts: exp.Expr, unit: str, zone: exp.Literal) -> exp.Expr:
    if unit in _SUB_DAY_IN_UTC:
        return exp.TimestampTrunc(this=ts, unit=exp.Var(this=unit))
    if unit in _SUB_DAY_BY_REMAINDER:
        local = local_datetime(ts.copy(), zone)
        truncated = exp.DatetimeTrunc(this=local.copy(), unit=exp.Var(this=unit))
        remainder = exp.DatetimeDiff(this=local, expression=truncated, unit=exp.Var(this="MICROSECOND"))
        return exp.TimestampSub(this=ts, expression=remainder, unit=exp.Var(this="MICROSECOND"))
    return exp.TimestampTrunc(this=ts, unit=exp.Var(this=unit), zone=zone.copy())


def trunc_date_as_timestamptz(day: exp.Expr, unit: str, zone: exp.Literal) -> exp.Expr:
    """date_trunc(unit, date): PostgreSQL casts the date to timestamptz (local midnight) first."""
    midnight = exp.Cast(this=day, to=exp.DataType.build("DATETIME", dialect="bigquery"))
    if unit in _SUB_DAY_BY_REMAINDER or unit in _SUB_DAY_IN_UTC:
        return zoned_timestamp(midnight, zone)
    return zoned_timestamp(exp.DatetimeTrunc(this=midnight, unit=exp.Var(this=unit)), zone)


def add_calendar(ts: exp.Expr, count: int, unit: str, sub: bool, zone: exp.Literal) -> exp.Expr:
    """timestamptz +/- n days, weeks, months or years, counted on the local calendar."""
    builder: type[exp.Expr] = exp.DatetimeSub if sub else exp.DatetimeAdd
    amount = exp.Literal.number(count)
    moved = builder(this=local_datetime(ts, zone), expression=amount, unit=exp.Var(this=unit))
    return zoned_timestamp(moved, zone)


def stamp_literal(text: str, zone: exp.Literal) -> exp.Expr:
    """A 'literal' as timestamptz: with its own zone if it has one, else the session's."""
    stamp = parse_stamp(text)
    assert stamp is not None  # the typer refused literals parse_stamp cannot read
    literal = exp.Literal.string(stamp.canonical)
    if stamp.zoned:
        return exp.Cast(this=literal, to=exp.DataType.build("TIMESTAMP", dialect="bigquery"))
    return zoned_timestamp(literal, zone)
