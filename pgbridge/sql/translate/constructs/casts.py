"""Which casts translate exactly, and what they need.

A cast is allowed when BigQuery produces the same value PostgreSQL would: integer, numeric,
text and boolean conversions mostly agree. Conversions whose text form or rounding differ
are refused or fixed up (below): float -> integer rounds half to even in PostgreSQL and
half away from zero in BigQuery; int2/int4 targets must fail on overflow as PostgreSQL does;
conversions between timestamptz and date/timestamp happen in the session time zone.
Literals of interval, time, bytea, json, jsonb and array types are parsed here (literals.py)
and replaced by BigQuery literals of the same value; those types are cast from nothing else
but themselves (and time from a timestamp).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlglot import exp

from pgbridge.sql import literals
from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import scales, timefix
from pgbridge.sql.translate.build import (
    INT_RANGES,
    RANGE_NAMES,
    call,
    cast,
    range_checked,
    round_half_even,
    signed_literal,
    type_at,
)
from pgbridge.sql.translate.constructs import float_numeric
from pgbridge.sql.translate.constructs.constants import exact_numeric_type
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import PgError, SqlState, unsupported

construct = Construct("casts")


# target -> sources whose conversion agrees (UNKNOWN: an untyped 'literal').
_SAFE_SOURCES: dict[str, tuple[str, ...]] = {
    T.INT: (T.INT, T.NUMERIC, T.FLOAT, T.STRING, T.UNKNOWN, T.BOOL),
    T.FLOAT: (T.INT, T.NUMERIC, T.FLOAT, T.STRING, T.UNKNOWN),
    T.NUMERIC: (T.INT, T.NUMERIC, T.STRING, T.UNKNOWN),
    T.STRING: (T.STRING, T.INT, T.BOOL, T.DATE, T.UNKNOWN),
    T.BOOL: (T.BOOL, T.UNKNOWN, T.INT),
    T.DATE: (T.DATE, T.DATETIME, T.UNKNOWN, T.TIMESTAMP),
    T.DATETIME: (T.DATETIME, T.DATE, T.UNKNOWN, T.TIMESTAMP),
    T.TIMESTAMP: (T.TIMESTAMP, T.DATE, T.DATETIME, T.UNKNOWN),
    T.TIME: (T.TIME, T.DATETIME, T.TIMESTAMP, T.UNKNOWN),
}


# Targets converted only from a literal (parsed here) or from their own type.
_LITERAL_ONLY = (T.INTERVAL, T.BYTES, T.JSON, T.PGJSON)


LITERAL_KEY = "pg_literal"  # node.meta: the BigQuery expression a literal cast becomes


NO_OP = "no-op"  # ... or this: the cast changes nothing


VARCHAR_KEY = "pg_varchar"  # node.meta: n of an explicit ::varchar(n), which truncates to n characters


# (source, target) pairs PostgreSQL converts in the session time zone.
ZONED_CASTS = {
    (T.TIMESTAMP, T.DATE),
    (T.TIMESTAMP, T.DATETIME),
    (T.DATE, T.TIMESTAMP),
    (T.DATETIME, T.TIMESTAMP),
    (T.TIMESTAMP, T.TIME),
}


@construct.rule(exp.Cast)
def _cast(t: Typer, node: exp.Cast) -> str | None:
    if node.args.get("format") is not None or node.args.get("safe") or node.args.get("default") is not None:
        raise unsupported("CAST with FORMAT / SAFE / DEFAULT")
    target = T.cast_target(node.to)
    if target is None or (node.to.args.get("nested") and T.element_of(target[0]) is None):
        raise unsupported(f"cast to {node.to.sql('postgres').lower()}")
    to_type, pg_name = target
    if isinstance(node.this, exp.Null):
        if T.element_of(to_type) is not None:
            raise unsupported(f"NULL::{pg_name}", hint="BigQuery returns a NULL array as an empty one")
        return to_type
    if isinstance(node.this, exp.Literal) and node.this.is_string and to_type not in _SAFE_SOURCES:
        return _literal_cast(node, node.this.this, to_type, pg_name)
    if T.element_of(to_type) is not None and t.param_number(node.this) is not None:
        _check_array_parameter(node, pg_name)
        t.settle(node.this, to_type)  # $1::int8[] declares an array parameter, as in PostgreSQL
    if to_type in _LITERAL_ONLY or T.element_of(to_type) is not None:
        return _same_type_cast(t, node, to_type, pg_name)
    if t.param_number(node.this) is not None:
        t.settle(node.this, to_type)  # $1::int8 declares the parameter, as in PostgreSQL
    source = t.types.get(id(node.this))
    _check_typmod(node, pg_name, source)
    if source not in _SAFE_SOURCES[to_type] and not node.meta.get(float_numeric.KEY):
        raise unsupported(
            f"cast from {(source or 'unknown').lower()} to {pg_name}",
            hint="PostgreSQL and BigQuery convert these differently",
        )
    if source == T.UNKNOWN and to_type in (T.DATE, T.DATETIME, T.TIMESTAMP) and not _is_literal(node.this):
        raise unsupported(f"cast of an untyped value to {pg_name}")
    if (source, to_type) in ZONED_CASTS:
        t.zone()
    if source == T.UNKNOWN and to_type == T.TIMESTAMP:
        t.settle(node.this, T.TIMESTAMP)  # parsed and checked like a compared literal
    if to_type == T.TIME and source == T.UNKNOWN:
        if not _is_literal(node.this):
            raise unsupported(f"cast of an untyped value to {pg_name}")
        node.meta[LITERAL_KEY] = literals.parse_time(node.this.name)
    return to_type


def _literal_cast(node: exp.Cast, text: str, to_type: str, pg_name: str) -> str:
    """'...'::interval / bytea / jsonb / json / int8[]: parsed now, a BigQuery literal later."""
    if to_type == T.INTERVAL:
        node.meta[LITERAL_KEY] = literals.parse_interval(text).bigquery()
    elif to_type == T.BYTES:
        node.meta[LITERAL_KEY] = literals.parse_bytea(text)
    elif to_type == T.JSON:
        node.meta[LITERAL_KEY] = literals.jsonb_literal(text)
    elif to_type == T.PGJSON:
        literals.check_json(text)  # json keeps its input text as it is
        node.meta[LITERAL_KEY] = exp.Literal.string(text)
    else:
        element = T.element_of(to_type)
        assert element is not None
        node.meta[LITERAL_KEY], to_type = literals.parse_array(text, element, pg_name.removesuffix("[]"))
    return to_type


def _same_type_cast(t: Typer, node: exp.Cast, to_type: str, pg_name: str) -> str:
    source = t.types.get(id(node.this))
    array_param = t.param_number(node.this) is not None and T.element_of(to_type) is not None
    if source != to_type or (t.param_number(node.this) is not None and not array_param):
        hint = "drop the cast: the jsonb value itself is returned" if source == T.JSON else None
        raise unsupported(
            f"cast from {(source or 'unknown').lower()} to {pg_name}",
            hint=hint or "only literals and values of the same type are converted to this type",
        )
    node.meta[LITERAL_KEY] = NO_OP
    return to_type


def _check_array_parameter(node: exp.Cast, pg_name: str) -> None:
    # BigQuery binds a NULL array parameter as an empty array; = ANY(...) checks where that
    # cannot change the answer (predicates._check_filter_only), nothing else does.
    parent = node.parent.parent if isinstance(node.parent, exp.Paren) else node.parent
    if not isinstance(parent, exp.Any):
        raise unsupported(
            f"array parameter ${node.this.name}::{pg_name} outside = ANY(...)",
            hint="BigQuery reads a NULL array parameter as an empty array",
        )


def _is_literal(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal)


def _check_typmod(node: exp.Cast, pg_name: str, source: str | None) -> None:
    params = node.to.expressions
    if pg_name == "varchar" and params:
        length = params[0].this if isinstance(params[0], exp.DataTypeParam) else params[0]
        if len(params) != 1 or not isinstance(length, exp.Literal) or not length.name.isdigit():
            raise unsupported("cast to varchar(n) with this length")
        if int(length.name) < 1:
            raise unsupported("cast to varchar(0)", hint="PostgreSQL requires a length of at least 1")
        node.meta[VARCHAR_KEY] = int(length.name)  # explicit casts truncate (the fix-up: LEFT)
    if pg_name in ("timestamp", "timestamptz", "time") and params and params[0].name != "6":
        # PostgreSQL rounds to p fractional digits; BigQuery keeps microseconds.
        raise unsupported(f"cast to {pg_name}({params[0].name})", hint="drop the precision")
    if pg_name != "numeric":
        return
    if source in (T.STRING, T.UNKNOWN) and not params:
        _text_to_numeric(node)
    if not params and source == T.FLOAT and float_numeric.is_rounded(node):
        node.meta[float_numeric.KEY] = True  # round(x::numeric, n): exact (float_numeric.py)
        return
    if not params and source == T.FLOAT:
        raise unsupported(
            "cast from float8 to numeric without a scale",
            hint="PostgreSQL keeps 15 digits, BigQuery NUMERIC 9 decimals; write numeric(p, s)",
        )
    if params:
        scale = int(params[1].name) if len(params) > 1 else 0
        precision = int(params[0].name)
        if scale > 9 or precision - scale > 29 or precision > 38:
            raise unsupported(f"numeric({precision},{scale})", hint="BigQuery NUMERIC has 29 + 9 digits")


def _text_to_numeric(node: exp.Cast) -> None:
    """text -> numeric keeps the text's digits and scale ('1.50'::numeric prints 1.50): known
    for a literal, which becomes a numeric literal; a text column's scale is per value."""
    if not isinstance(node.this, exp.Literal):
        raise unsupported(
            "cast from text to numeric without a scale",
            hint="PostgreSQL keeps each value's own decimals; write numeric(p, s)",
        )
    try:
        value = Decimal(node.this.name.strip())
    except InvalidOperation:
        return  # not a number: the backend's cast fails, as PostgreSQL's would
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise unsupported(f"numeric {node.this.name.strip()}", hint="BigQuery NUMERIC has no NaN or infinity")
    if -exponent > scales.MAX_SCALE or value.adjusted() >= scales.MAX_SCALE:
        raise unsupported(
            f"numeric literal {node.this.name}", hint="BigQuery BIGNUMERIC keeps 38 decimal places"
        )
    node.meta[scales.NUMERIC_TEXT_KEY] = format(value, "f")


@construct.fixup(exp.Cast)
def _cast_fix(t: Typer, node: exp.Cast) -> exp.Expr:
    target = T.cast_target(node.to)
    assert target is not None
    to_type, pg_name = target
    value = node.this
    literal = node.meta.get(LITERAL_KEY)
    if literal is not None:
        return value if literal == NO_OP else literal.copy()
    if to_type == T.PGJSON:
        return cast(value, T.STRING)  # NULL::json
    zoned = _zoned_cast(t, value, to_type)
    if zoned is not None:
        return zoned
    if to_type == T.INT and type_at(t, value) == T.FLOAT:
        value = round_half_even(value)
    if to_type == T.NUMERIC and node.to.expressions:
        return _numeric_typmod(value, node.to.expressions, type_at(t, value))
    if to_type == T.NUMERIC and node.meta.get(scales.NUMERIC_TEXT_KEY) is not None:
        text = node.meta[scales.NUMERIC_TEXT_KEY]
        return cast(exp.Literal.string(text), exact_numeric_type(text))
    if to_type == T.NUMERIC and type_at(t, value) == T.NUMERIC:
        return value  # numeric -> numeric changes nothing (a BIGNUMERIC cast to NUMERIC would round)
    if node.meta.get(VARCHAR_KEY):
        return call("LEFT", cast(value, T.STRING), exp.Literal.number(node.meta[VARCHAR_KEY]))
    result: exp.Expr = cast(value, to_type)
    if pg_name in INT_RANGES and signed_literal(node.this) is not None:
        _check_literal_range(signed_literal(node.this) or 0, pg_name)
    elif pg_name in INT_RANGES:
        result = range_checked(result, *INT_RANGES[pg_name], f"{RANGE_NAMES[pg_name]} out of range")
    return result


def _zoned_cast(t: Typer, value: exp.Expr, to_type: str) -> exp.Expr | None:
    source = type_at(t, value)
    if (source, to_type) not in ZONED_CASTS:
        return None
    if to_type == T.TIMESTAMP:
        return timefix.zoned_timestamp(value, t.zone())
    if to_type == T.DATE:
        return timefix.local_date(value, t.zone())
    if to_type == T.TIME:
        return cast(timefix.local_datetime(value, t.zone()), T.TIME)
    return timefix.local_datetime(value, t.zone())


def _check_literal_range(value: int, pg_name: str) -> None:
    low, high = INT_RANGES[pg_name]
    if not low <= value <= high:
        raise PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, f"{RANGE_NAMES[pg_name]} out of range")


def _numeric_typmod(value: exp.Expr, params: list[exp.Expr], source: str | None) -> exp.Expr:
    """x::numeric(p, s): rounded once, half away from zero, from the exact value. Text goes
    through BIGNUMERIC (38 decimals): NUMERIC would round at 9 first, and rounding twice can
    differ (1.49999999999 -> 1.500000000 -> 2, where PostgreSQL gives 1)."""
    precision = int(params[0].name)
    scale = int(params[1].name) if len(params) > 1 else 0
    if source in (T.STRING, T.UNKNOWN):
        value = _exact_text(value)
    elif source != T.NUMERIC:
        value = cast(value, T.NUMERIC)  # integers: exact
    rounded = call("ROUND", value, exp.Literal.number(scale))
    limit = cast(exp.Literal.string("1" + "0" * (precision - scale)), T.NUMERIC)
    overflow = exp.GTE(this=call("ABS", rounded.copy()), expression=limit)
    fails = cast(call("ERROR", exp.Literal.string("numeric field overflow")), T.NUMERIC)
    # Within p - s <= 29 integer digits and s <= 9 decimals, NUMERIC holds the result exactly.
    return exp.If(this=overflow, true=fails, false=cast(rounded.copy(), T.NUMERIC))


def _exact_text(value: exp.Expr) -> exp.Expr:
    """Text as an exact BIGNUMERIC, for rounding once. Text that would itself be rounded on the
    way (an exponent; past 18 decimals, where the embedded warehouse's DECIMAL ends) is an error
    instead, so that nothing is rounded twice."""
    if isinstance(value, exp.Literal):
        try:
            number = Decimal(value.name.strip())
        except InvalidOperation:
            return cast(value, "BIGNUMERIC")  # no number: the backend's cast fails, as PostgreSQL's
        exponent = number.as_tuple().exponent
        if not isinstance(exponent, int) or -exponent > scales.MAX_SCALE:
            hint = "BigQuery BIGNUMERIC keeps 38 decimal places"
            raise unsupported(f"numeric text {value.name!r}", hint=hint)
        return cast(exp.Literal.string(format(number, "f")), "BIGNUMERIC")  # plain digits
    risky = call("REGEXP_CONTAINS", value.copy(), exp.Literal.string(r"[eE]|\.[0-9]{19}"))
    # In pieces: an error text that quotes 24 characters of the generated SQL is withheld
    # (server/error_text.py), and this one is worth reading.
    pieces = ("numeric text with ", "an exponent or over ", "18 decimals: not exact")
    fails = cast(call("ERROR", call("CONCAT", *map(exp.Literal.string, pieces))), "BIGNUMERIC")
    return exp.If(this=risky, true=fails, false=exp.ParseBignumeric(this=value))
