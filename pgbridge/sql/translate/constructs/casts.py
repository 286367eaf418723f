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

from sqlglot import exp

from pgbridge.sql import literals
from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
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
        return _numeric_typmod(value, node.to.expressions)
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


def _numeric_typmod(value: exp.Expr, params: list[exp.Expr]) -> exp.Expr:
    precision = int(params[0].name)
    scale = int(params[1].name) if len(params) > 1 else 0
    rounded = call("ROUND", cast(value, T.NUMERIC), exp.Literal.number(scale))
    limit = cast(exp.Literal.string("1" + "0" * (precision - scale)), T.NUMERIC)
    overflow = exp.GTE(this=call("ABS", rounded.copy()), expression=limit)
    fails = cast(call("ERROR", exp.Literal.string("numeric field overflow")), T.NUMERIC)
    return exp.If(this=overflow, true=fails, false=rounded)
