"""Dates and times: now(), current_date, localtimestamp, AT TIME ZONE, extract / date_part,
date_trunc, make_date.

PostgreSQL computes calendar fields of a timestamptz in the session TimeZone; BigQuery takes
the zone as an argument, so the session zone is written into the SQL (timefix.py, zones.py).
extract() is numeric and date_part() float8 (one statement may not mix them); a date's epoch
is its days times 86400; DOW counts from Sunday = 0 and ISODOW from Monday = 1.
date_trunc of a date or timestamptz is a timestamptz truncated on the session zone's
calendar. make_date(y, m, d) is DATE(y, m, d), failing for years before 1 (BC in PostgreSQL).
"""

from __future__ import annotations

import re

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
from pgbridge.sql.translate.build import call, cast, type_at
from pgbridge.sql.translate.checks import want, want_or_null
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.sql.translate.zones import explicit_zone
from pgbridge.wire.errors import unsupported

construct = Construct("dates")


@construct.rule(exp.CurrentTimestamp)
def _now(t: Typer, node: exp.CurrentTimestamp) -> str | None:
    if node.this is not None:
        raise unsupported("current_timestamp(precision)")
    return T.TIMESTAMP


@construct.rule(exp.CurrentDate, exp.Localtimestamp)
def _session_date(t: Typer, node: exp.Func) -> str | None:
    if node.this is not None:
        raise unsupported(f"{node.sql_name().lower()}(precision)")
    t.zone()  # the session zone decides today's date
    return T.DATE if isinstance(node, exp.CurrentDate) else T.DATETIME


@construct.rule(exp.CurrentTime, exp.Localtime)
def _session_clock(t: Typer, node: exp.Func) -> str | None:
    raise unsupported(f"{node.sql_name().lower()}", hint="time values are not supported; use now()")


@construct.rule(exp.AtTimeZone)
def _at_time_zone(t: Typer, node: exp.AtTimeZone) -> str | None:
    zone = node.args.get("zone")
    if not (isinstance(zone, exp.Literal) and zone.is_string):
        raise unsupported("AT TIME ZONE with a zone that is not a string literal")
    explicit_zone(zone.this)
    t.set_type(zone, T.STRING)
    source = t.types.get(id(node.this))
    if source == T.TIMESTAMP:
        return T.DATETIME
    if source == T.DATETIME:
        return T.TIMESTAMP
    raise unsupported(f"AT TIME ZONE on {(source or 'unknown').lower()}", hint="cast it to timestamp first")


# extract field -> BigQuery part, for date and timestamp (without time zone) sources.
_EXTRACT_DATE = {
    "YEAR": "YEAR",
    "MONTH": "MONTH",
    "DAY": "DAY",
    "QUARTER": "QUARTER",
    "DOY": "DAYOFYEAR",
    "DOW": "DOW",
    "ISODOW": "ISODOW",
    "WEEK": "ISOWEEK",
    "ISOYEAR": "ISOYEAR",
    "EPOCH": "EPOCH",
}


_EXTRACT_TIME = {"HOUR": "HOUR", "MINUTE": "MINUTE"}


@construct.rule(exp.Extract)
def _extract(t: Typer, node: exp.Extract) -> str | None:
    field = node.this.name.upper()
    source = want(t, node.expression, (T.DATE, T.DATETIME, T.TIMESTAMP), "extract()")
    if source == T.TIMESTAMP and field != "EPOCH":
        t.zone()  # fields of a timestamptz are those of its local time in the session zone
    allowed = _EXTRACT_DATE if source == T.DATE else {**_EXTRACT_DATE, **_EXTRACT_TIME}
    if field not in allowed:
        raise unsupported(f"extract({field.lower()} from {(source or '').lower()})")
    has_date_part = re.search(r"\bdate_part\s*\(", t.text, re.IGNORECASE) is not None
    has_extract = re.search(r"\bextract\s*\(", t.text, re.IGNORECASE) is not None
    if has_date_part and has_extract:
        raise unsupported(
            "extract() and date_part() in one statement", hint="they return different types; use one of them"
        )
    return T.FLOAT if has_date_part else T.NUMERIC


_TRUNC_UNITS = {
    "microseconds": "MICROSECOND",
    "milliseconds": "MILLISECOND",
    "second": "SECOND",
    "minute": "MINUTE",
    "hour": "HOUR",
    "day": "DAY",
    "week": "ISOWEEK",
    "month": "MONTH",
    "quarter": "QUARTER",
    "year": "YEAR",
}


@construct.rule(exp.DateTrunc, exp.TimestampTrunc)
def _date_trunc(t: Typer, node: exp.Func) -> str | None:
    source = t.types.get(id(node.this))
    unit = trunc_unit(node)
    if node.args.get("zone") is not None:
        raise unsupported("date_trunc() with a time zone argument", hint="SET TimeZone instead")
    if source not in (T.DATETIME, T.TIMESTAMP, T.DATE) or unit is None:
        raise unsupported(
            f"date_trunc() of {(source or 'unknown').lower()}",
            hint="supported for timestamp, timestamptz and date values",
        )
    if source == T.DATETIME:
        return T.DATETIME
    t.zone()  # date and timestamptz are truncated on the session zone's calendar
    return T.TIMESTAMP


def trunc_unit(node: exp.Func) -> str | None:
    unit = node.args.get("unit")
    name = unit.name if isinstance(unit, (exp.Literal, exp.Var)) else ""
    return _TRUNC_UNITS.get(name.lower().rstrip("s")) or _TRUNC_UNITS.get(name.lower())


@construct.rule("make_date")
def _make_date(t: Typer, node: exp.Anonymous) -> str | None:
    if len(node.expressions) != 3:
        raise unsupported("make_date() without three arguments")
    for arg in node.expressions:
        want_or_null(t, arg, (T.INT,), "make_date()")
    return T.DATE


@construct.fixup("make_date")
def _make_date_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    # A year before 1 is an error (0) or BC (negative) in PostgreSQL; BigQuery has neither, and
    # DuckDB's make_date would count BC years astronomically (-44 is 45 BC): fail instead.
    year = node.expressions[0]
    before_one = exp.LT(this=year.copy(), expression=exp.Literal.number(1))
    fails = cast(call("ERROR", exp.Literal.string("date field value out of range")), T.DATE)
    return exp.If(this=before_one, true=fails, false=call("DATE", *node.expressions))


@construct.fixup(exp.Extract)
def _extract_fix(t: Typer, node: exp.Extract) -> exp.Expr:
    field = node.this.name.upper()
    source, source_type = node.expression, type_at(t, node.expression)
    if source_type == T.TIMESTAMP and field != "EPOCH":
        source, source_type = timefix.local_datetime(source, t.zone()), T.DATETIME
    value = _extract_value(field, source, source_type)
    return cast(value, type_at(t, node) or T.NUMERIC)


def _extract_value(field: str, source: exp.Expr, source_type: str | None) -> exp.Expr:
    if field == "EPOCH":
        if source_type == T.DATE:
            return exp.Mul(this=call("UNIX_DATE", source), expression=exp.Literal.number(86400))
        stamp = source if source_type == T.TIMESTAMP else call("TIMESTAMP", source)
        micros = cast(call("UNIX_MICROS", stamp), T.NUMERIC)
        # A multiplication keeps NUMERIC exact in both engines (DuckDB divides decimals as doubles).
        return exp.Mul(this=micros, expression=cast(exp.Literal.string("0.000001"), T.NUMERIC))
    if field in ("DOW", "ISODOW"):
        weekday = exp.Extract(this=exp.Var(this="DAYOFWEEK"), expression=source)  # Sunday = 1
        if field == "DOW":
            return exp.Sub(this=weekday, expression=exp.Literal.number(1))
        shifted = call("MOD", exp.Add(this=weekday, expression=exp.Literal.number(5)), exp.Literal.number(7))
        return exp.Add(this=shifted, expression=exp.Literal.number(1))
    part = {"DOY": "DAYOFYEAR", "WEEK": "ISOWEEK"}.get(field, field)
    return exp.Extract(this=exp.Var(this=part), expression=source)


@construct.fixup(exp.DateTrunc, exp.TimestampTrunc)
def _date_trunc_fix(t: Typer, node: exp.Func) -> exp.Expr:
    unit = trunc_unit(node)
    assert unit is not None
    source = type_at(t, node.this)
    if source == T.TIMESTAMP:
        return timefix.trunc_timestamptz(node.this, unit, t.zone())
    if source == T.DATE:
        return timefix.trunc_date_as_timestamptz(node.this, unit, t.zone())
    return exp.DatetimeTrunc(this=node.this, unit=exp.Var(this=unit))


@construct.fixup(exp.CurrentDate)
def _current_date_fix(t: Typer, node: exp.CurrentDate) -> exp.Expr:
    return exp.CurrentDate(this=t.zone())


@construct.fixup(exp.Localtimestamp)
def _localtimestamp_fix(t: Typer, node: exp.Localtimestamp) -> exp.Expr:
    return timefix.local_datetime(exp.CurrentTimestamp(), t.zone())


@construct.fixup(exp.AtTimeZone)
def _at_time_zone_fix(t: Typer, node: exp.AtTimeZone) -> exp.Expr:
    zone = exp.Literal.string(explicit_zone(node.args["zone"].this))
    if type_at(t, node.this) == T.TIMESTAMP:
        return timefix.local_datetime(node.this, zone)
    return timefix.zoned_timestamp(node.this, zone)
