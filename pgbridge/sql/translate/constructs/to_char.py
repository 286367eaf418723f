"""to_char(date/timestamp/timestamptz, 'YYYY-MM-DD HH24:MI:SS') for the numeric date fields.

Only YYYY, MM, DD, HH24, MI and SS with the separators - / : . space and T translate: those
are zero-padded numbers in PostgreSQL, built here from EXTRACT and LPAD so that both engines
print the same digits (no strftime dialect differences). Names of months and days, FM and
the other modifiers, 12-hour clocks and fractions of seconds are refused. A timestamptz is
formatted in the session zone and a date as its midnight, as PostgreSQL does.

sqlglot has already turned the PostgreSQL pattern into strftime codes; its mapping sends
exactly the six patterns above (any case) to %Y %m %d %H %M %S and leaves every other
PostgreSQL pattern as something else, which is refused.
"""

from __future__ import annotations

import re

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("to_char")


_PARTS = {
    "%Y": ("YEAR", 4),
    "%m": ("MONTH", 2),
    "%d": ("DAY", 2),
    "%H": ("HOUR", 2),
    "%M": ("MINUTE", 2),
    "%S": ("SECOND", 2),
}
_PATTERN = re.compile(r"(%[YmdHMS]|[-/:. T])+")
_TOKEN = re.compile(r"%[YmdHMS]|[-/:. T]")


def _format(node: exp.TimeToStr) -> str | None:
    fmt = node.args.get("format")
    if isinstance(fmt, exp.Literal) and fmt.is_string and _PATTERN.fullmatch(fmt.this):
        return str(fmt.this)
    return None


@construct.rule(exp.TimeToStr)
def _to_char(t: Typer, node: exp.TimeToStr) -> str | None:
    source = t.types.get(id(node.this))
    if source not in (T.DATE, T.DATETIME, T.TIMESTAMP):
        raise unsupported(f"to_char() of {(source or 'unknown').lower()}")
    if _format(node) is None:
        raise unsupported(
            "to_char() with this format", hint="supported: YYYY MM DD HH24 MI SS and the separators - / : . T"
        )
    if source in (T.TIMESTAMP, T.DATE):
        t.zone()
    if node.args.get("format") is not None:
        t.set_type(node.args["format"], T.STRING)
    return T.STRING


@construct.fixup(exp.TimeToStr)
def _to_char_fix(t: Typer, node: exp.TimeToStr) -> exp.Expr:
    value, source, fmt = node.this, t.types.get(id(node.this)), _format(node)
    assert fmt is not None  # the rule refused every other format
    if source == T.TIMESTAMP:
        value = timefix.local_datetime(value, t.zone())
    elif source == T.DATE:
        value = cast(value, T.DATETIME)
    pieces: list[exp.Expr] = []
    for token in _TOKEN.findall(fmt):
        if token in _PARTS:
            part, width = _PARTS[token]
            number = cast(exp.Extract(this=exp.Var(this=part), expression=value.copy()), T.STRING)
            pieces.append(call("LPAD", number, exp.Literal.number(width), exp.Literal.string("0")))
        else:
            pieces.append(exp.Literal.string(token))
    text = call("CONCAT", *pieces)
    return exp.If(this=exp.Is(this=value, expression=exp.Null()), true=exp.Null(), false=text)
