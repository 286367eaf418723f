"""Which casts translate exactly, and what they need.

A cast is allowed when BigQuery produces the same value PostgreSQL would: integer, numeric,
text and boolean conversions mostly agree. Conversions whose text form or rounding differ
are refused or fixed up (fixups.py): float -> integer rounds half to even in PostgreSQL and
half away from zero in BigQuery; int2/int4 targets must fail on overflow as PostgreSQL does;
conversions between timestamptz and date/timestamp happen in the session time zone.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.typer import Typer
from pgbridge.wire.errors import unsupported

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
}
# (source, target) pairs PostgreSQL converts in the session time zone.
ZONED_CASTS = {
    (T.TIMESTAMP, T.DATE),
    (T.TIMESTAMP, T.DATETIME),
    (T.DATE, T.TIMESTAMP),
    (T.DATETIME, T.TIMESTAMP),
}


def check_cast(t: Typer, node: exp.Cast) -> str | None:
    if node.args.get("format") is not None or node.args.get("safe") or node.args.get("default") is not None:
        raise unsupported("CAST with FORMAT / SAFE / DEFAULT")
    target = T.cast_target(node.to)
    if target is None or node.to.args.get("nested"):
        raise unsupported(f"cast to {node.to.sql('postgres').lower()}")
    to_type, pg_name = target
    if t.param_number(node.this) is not None:
        t.settle(node.this, to_type)  # $1::int8 declares the parameter, as in PostgreSQL
    source = t.types.get(id(node.this))
    if isinstance(node.this, exp.Null):
        return to_type
    _check_typmod(node, pg_name, source)
    if source not in _SAFE_SOURCES[to_type]:
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
    return to_type


def _is_literal(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal)


def _check_typmod(node: exp.Cast, pg_name: str, source: str | None) -> None:
    params = node.to.expressions
    if pg_name == "varchar" and params:
        raise unsupported("cast to varchar(n)", hint="PostgreSQL truncates silently; BigQuery errors")
    if pg_name != "numeric":
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
