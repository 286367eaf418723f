"""PostgreSQL literals of types BigQuery spells differently: interval, time, bytea, arrays, json.

`'1 day'::interval`, `'12:30'::time`, `'\\x0102'::bytea`, `'{1,2}'::int8[]` and
`'{"a":1}'::jsonb` are parsed here, in Python, by a strict subset of PostgreSQL's input
grammar, and become BigQuery literals of the same value. Anything outside the subset is
refused (0A000) rather than guessed at; input PostgreSQL itself rejects gets PostgreSQL's
error (22P02 / 22003 / 22007). Only literals: converting a column's text at run time would
need PostgreSQL's whole input grammar in BigQuery SQL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.wire.errors import PgError, SqlState, unsupported

# -- interval -------------------------------------------------------------------------------

_UNIT_WORDS = {
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
    "mon": "month",
    "mons": "month",
    "month": "month",
    "months": "month",
    "week": "week",
    "weeks": "week",
    "day": "day",
    "days": "day",
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "minute": "minute",
    "minutes": "minute",
    "min": "minute",
    "mins": "minute",
    "second": "second",
    "seconds": "second",
    "sec": "second",
    "secs": "second",
}
_MICROS = {"hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000}
_PAIR = re.compile(r"([+-]?\d+)(?:\.(\d{1,6}))?\s*([a-z]+)")
_CLOCK = re.compile(r"([+-])?(\d+):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
_INT32 = 2**31 - 1


@dataclass(frozen=True)
class IntervalValue:
    months: int
    days: int
    micros: int

    def bigquery(self) -> exp.Expr:
        """BigQuery's canonical interval literal: '[sign]Y-M [sign]D [sign]H:M:S.F' YEAR TO SECOND."""
        years, months = divmod(abs(self.months), 12)
        ym = f"{'-' if self.months < 0 else ''}{years}-{months}"
        seconds, fraction = divmod(abs(self.micros), 1_000_000)
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        clock = f"{'-' if self.micros < 0 else ''}{hours}:{minutes}:{seconds}.{fraction:06d}"
        span = exp.IntervalSpan(this=exp.Var(this="YEAR"), expression=exp.Var(this="SECOND"))
        return exp.Interval(this=exp.Literal.string(f"{ym} {self.days} {clock}"), unit=span)


def parse_interval(text: str, unit: str = "") -> IntervalValue:
    """A PostgreSQL interval literal ('1 year 2 mons 3 days 04:05:06', or '3' with unit DAY)."""
    source = text.strip().lower()
    if unit:
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", source) or unit.lower().rstrip("s") + "s" not in _UNIT_WORDS:
            raise unsupported(f"interval '{text}' {unit.lower()}", hint="write interval '3 days'")
        source = f"{source} {unit.lower()}"
    months = days = micros = 0
    seen: set[str] = set()
    rest = source
    while rest:
        clock = _CLOCK.match(rest)
        pair = _PAIR.match(rest)
        if clock and "clock" not in seen:  # hh:mm[:ss[.f]] (the pattern needs its colon)
            micros += _clock_micros(clock)
            seen.add("clock")
            rest = rest[clock.end() :].lstrip()
            continue
        if pair is None or pair.group(3) not in _UNIT_WORDS or _UNIT_WORDS[pair.group(3)] in seen:
            raise _interval_refused(text)
        kind = _UNIT_WORDS[pair.group(3)]
        seen.add(kind)
        count, fraction = int(pair.group(1)), pair.group(2)
        if fraction and kind != "second":
            raise _interval_refused(text)
        if kind in ("year", "month"):
            months += count * (12 if kind == "year" else 1)
        elif kind in ("week", "day"):
            days += count * (7 if kind == "week" else 1)
        else:
            micros += count * _MICROS[kind] + _fraction_micros(fraction, count < 0 or pair.group(1) == "-0")
        rest = rest[pair.end() :].lstrip()
    if not seen:
        raise PgError(SqlState.INVALID_DATETIME_FORMAT, f'invalid input syntax for type interval: "{text}"')
    if abs(months) > _INT32 or abs(days) > _INT32:
        raise PgError(SqlState.DATETIME_FIELD_OVERFLOW, f'interval field value out of range: "{text}"')
    _check_bigquery_range(text, months, days, micros)
    return IntervalValue(months, days, micros)


def _check_bigquery_range(text: str, months: int, days: int, micros: int) -> None:
    # BigQuery intervals hold at most 10000 years, 3660000 days, 87840000 hours.
    if abs(months) > 120_000 or abs(days) > 3_660_000 or abs(micros) > 87_840_000 * 3_600_000_000:
        raise unsupported(f"interval '{text}'", hint="BigQuery intervals are limited to 10000 years")


def _clock_micros(match: re.Match[str]) -> int:
    sign, hours, minutes, seconds, fraction = match.groups()
    if int(minutes) > 59 or int(seconds or 0) > 59:
        raise PgError(SqlState.DATETIME_FIELD_OVERFLOW, "interval field value out of range")
    total = (int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)) * 1_000_000
    total += int((fraction or "").ljust(6, "0") or 0)
    return -total if sign == "-" else total


def _fraction_micros(fraction: str | None, negative: bool) -> int:
    value = int((fraction or "").ljust(6, "0") or 0)
    return -value if negative else value


def _interval_refused(text: str) -> PgError:
    return unsupported(
        f"interval '{text}'",
        hint="write it as counts of years, months, weeks, days, hours, minutes, seconds, "
        "e.g. interval '1 day 02:00:00'",
    )


# -- time -----------------------------------------------------------------------------------

_TIME = re.compile(r"\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*")


def parse_time(text: str) -> exp.Expr:
    match = _TIME.fullmatch(text)
    if match is None:
        raise unsupported(f"time literal '{text}'", hint="write it as 'HH:MM:SS[.ffffff]'")
    hours, minutes, seconds, fraction = match.groups()
    if int(hours) > 23 or int(minutes) > 59 or int(seconds or 0) > 59:
        if int(hours) == 24 or int(seconds or 0) == 60:
            raise unsupported(f"time literal '{text}'", hint="BigQuery TIME ends at 23:59:59.999999")
        raise PgError(SqlState.DATETIME_FIELD_OVERFLOW, f'date/time field value out of range: "{text}"')
    spelled = f"{int(hours):02d}:{minutes}:{seconds or '00'}.{(fraction or '').ljust(6, '0')}"
    return exp.Cast(this=exp.Literal.string(spelled), to=exp.DataType.build("TIME", dialect="bigquery"))


# -- bytea ----------------------------------------------------------------------------------


def parse_bytea(text: str) -> exp.Expr:
    """'\\x0102' (hex format) or text without backslashes (escape format, taken as UTF-8)."""
    if text.startswith("\\x"):
        digits = re.sub(r"\s", "", text[2:])
        if not re.fullmatch(r"([0-9a-fA-F]{2})*", digits):
            raise PgError(
                SqlState.INVALID_TEXT_REPRESENTATION, "invalid hexadecimal data: odd number of digits"
            )
        return exp.Unhex(this=exp.Literal.string(digits.lower()))
    if "\\" in text:
        raise unsupported("bytea literal in escape format with backslashes", hint="write it as '\\x0102...'")
    return exp.Unhex(this=exp.Literal.string(text.encode().hex()))


# -- arrays ---------------------------------------------------------------------------------

_INT_LIMITS = {"int8": 2**63 - 1, "int4": 2**31 - 1, "int2": 2**15 - 1}
_INT_NAMES = {"int8": "bigint", "int4": "integer", "int2": "smallint"}


def array_elements(text: str) -> list[str]:
    """The elements of a one-dimensional PostgreSQL array literal, unquoted."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")) or "{" in body[1:-1] or "}" in body[1:-1]:
        raise unsupported(f"array literal '{text}'", hint="write one dimension, as '{a,b,c}'")
    inner = body[1:-1]
    if not inner.strip():
        return []
    elements: list[str] = []
    position = 0
    while True:
        match = _ELEMENT.match(inner, position)
        if match is None:
            raise unsupported(
                f"array literal '{text}'", hint="plain or double-quoted elements, comma-separated"
            )
        quoted, bare = match.group(1), match.group(2)
        if quoted is None and (not bare or bare.upper() == "NULL"):
            raise unsupported(
                "NULL or empty element in an array literal", hint="BigQuery arrays cannot hold NULL"
            )
        elements.append(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare)
        position = match.end()
        if position == len(inner):
            return elements
        position += 1  # the comma


_ELEMENT = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^",\\"\s]+(?:\s+[^",\\"\s]+)*))?\s*(?=,|$)')


def parse_array(text: str, element: str, pg_name: str) -> tuple[exp.Expr, str]:
    """(BigQuery array literal, pgtypes array type) for '{...}'::int8[] / int4[] / int2[] / text[]."""
    values = array_elements(text)
    if element == T.INT:
        items: list[exp.Expr] = [exp.Literal.number(_array_int(v, pg_name)) for v in values]
    elif element == T.STRING:
        items = [exp.Literal.string(v) for v in values]
    else:
        raise unsupported(f"array literal of {pg_name}", hint="supported: int2[], int4[], int8[], text[]")
    type_ = T.array_of(element)
    array = exp.Array(expressions=items)
    return exp.Cast(this=array, to=exp.DataType.build(type_, dialect="bigquery")), type_


def _array_int(value: str, pg_name: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", value):
        raise PgError(
            SqlState.INVALID_TEXT_REPRESENTATION,
            f'invalid input syntax for type {_INT_NAMES[pg_name]}: "{value}"',
        )
    number = int(value)
    if not -_INT_LIMITS[pg_name] - 1 <= number <= _INT_LIMITS[pg_name]:
        raise PgError(
            SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
            f'value "{value}" is out of range for type {_INT_NAMES[pg_name]}',
        )
    return number


# -- json -----------------------------------------------------------------------------------


def check_json(text: str) -> None:
    """PostgreSQL's json input check (RFC 8259, any top-level value); raises 22P02."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise PgError(
            SqlState.INVALID_TEXT_REPRESENTATION, "invalid input syntax for type json", detail=f"{text[:60]}"
        ) from None


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # NaN / Infinity are not JSON in PostgreSQL


def jsonb_literal(text: str) -> exp.Expr:
    """PARSE_JSON of a literal whose value BigQuery's JSON holds exactly as jsonb does."""
    check_json(text)
    json.loads(text, object_pairs_hook=_unique_keys, parse_float=_exact_number, parse_int=_exact_number)
    if "\\u0000" in text:
        raise PgError("22P05", "unsupported Unicode escape sequence")
    return exp.ParseJSON(this=exp.Literal.string(text))


# BigQuery keeps a JSON number as an int64 or a float64; jsonb keeps numeric text (2.50, 1e2
# -> 100). Numbers whose shortest float64 form is what jsonb prints are the ones allowed.
_PLAIN_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d*[1-9])?")


def _exact_number(text: str) -> object:
    digits = len(text.lstrip("-").replace(".", "").lstrip("0"))
    integer = "." not in text
    if _PLAIN_NUMBER.fullmatch(text) is None or (digits > 15 and not (integer and abs(int(text)) < 2**63)):
        raise unsupported(
            f"json number {text}",
            hint="BigQuery keeps JSON numbers as int64 or float64; write it plainly, e.g. 2.5 or 100",
        )
    return 0


def _unique_keys(pairs: list[tuple[str, object]]) -> object:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise unsupported("json object with a repeated key", hint="jsonb keeps the last one; write it once")
    return {}
