"""Literals and $n parameters: the values written into a statement.

Untyped 'literals' and undeclared parameters take the type of what they meet (the typer
settles them); an integer literal is int4 or int8 as in PostgreSQL, and 1.5 is numeric, not
FLOAT64 (a NUMERIC, or a BIGNUMERIC beyond NUMERIC's 9 decimals or 29 integer digits; exponent
forms and more than 38 decimals are refused).
$n becomes BigQuery's typed named parameter @pn.

E'...' escape strings are translated when they use only the standard escapes (\\b \\f \\n
\\r \\t \\\\ \\'); octal, hex and Unicode escapes can build bytes that are not UTF-8 (an
error in PostgreSQL), so they stay refused. The escapes are read from the statement's own
text at the literal's position.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
from pgbridge.sql.translate.build import cast, type_at
from pgbridge.sql.translate.constructs import numeric_exact
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("constants")


_INT64 = (-(2**63), 2**63 - 1)


@construct.rule(exp.Literal)
def _literal(t: Typer, node: exp.Literal) -> str | None:
    if node.is_string:
        return T.UNKNOWN
    text = str(node.this)
    if re.fullmatch(r"\d+", text):
        if int(text) > _INT64[1]:
            raise unsupported(f"integer literal {text} beyond int8")
        return T.INT
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise unsupported(f"numeric literal {text}") from None
    exponent = value.as_tuple().exponent
    if "e" in text.lower() or not isinstance(exponent, int) or -exponent > 38 or value.adjusted() >= 38:
        raise unsupported(f"numeric literal {text}", hint="BigQuery BIGNUMERIC keeps 38 decimal places")
    t.set_type(node, T.NUMERIC)
    numeric_exact.mark_literal(t, node, text)  # `SELECT 1.50` prints 1.50
    return T.NUMERIC


@construct.rule(exp.RawString)
def _raw_string(t: Typer, node: exp.RawString) -> str | None:
    return T.UNKNOWN


@construct.rule(exp.Boolean)
def _boolean(t: Typer, node: exp.Boolean) -> str | None:
    return T.BOOL


@construct.rule(exp.Parameter, exp.Placeholder)
def _parameter(t: Typer, node: exp.Expr) -> str | None:
    number = t.param_number(node)
    if number is None:
        raise unsupported(f"parameter {node.sql('postgres')}")
    t.param_nodes.setdefault(number, []).append(node)
    declared = t.declared[number - 1] if number <= len(t.declared) else None
    if declared is not None:
        t.param_types[number] = declared
        return declared
    return t.param_types.get(number, T.UNKNOWN)


@construct.fixup(exp.Literal)
def _literal_fix(t: Typer, node: exp.Literal) -> exp.Expr | None:
    target = t.coerce.get(id(node))
    if node.is_string:
        if target == T.TIMESTAMP:
            return timefix.stamp_literal(node.this, t.zone())
        if target == T.NUMERIC:  # price = '80.1900000001' compares the exact value
            return cast(exp.Literal.string(node.this), exact_numeric_type(node.this))
        if target is not None and target != T.STRING:
            return cast(exp.Literal.string(node.this), target)
        return None
    if type_at(t, node) == T.NUMERIC:
        return cast(exp.Literal.string(node.this), exact_numeric_type(str(node.this)))
    return None


def exact_numeric_type(text: str) -> str:
    """NUMERIC holds 29 integer digits and 9 decimals; a longer literal is a BIGNUMERIC (text
    that is no number: NUMERIC, whose cast then fails as PostgreSQL's input does)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return "NUMERIC"
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        return "NUMERIC"
    return "NUMERIC" if -exponent <= 9 and value.adjusted() < 29 else "BIGNUMERIC"


@construct.fixup(exp.RawString)
def _raw_string_fix(t: Typer, node: exp.RawString) -> exp.Expr:
    return _literal_fix(t, exp.Literal.string(node.this)) or exp.Literal.string(node.this)


@construct.fixup(exp.Parameter, exp.Placeholder)
def _parameter_fix(t: Typer, node: exp.Expr) -> exp.Expr:
    return exp.Parameter(this=exp.Var(this=f"p{t.param_number(node)}"))


# E'...' escapes checked against PostgreSQL; octal, hex and Unicode escapes can build bytes
# that are not UTF-8 (an error in PostgreSQL), so they stay refused.
_E_ESCAPE = re.compile(r"\\(.)", re.S)
_E_PIECE = re.compile(r"\\(.)|''", re.S)  # an escape, or a doubled quote
_STANDARD_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'"}


@construct.rule(exp.ByteString)
def _escape_string(t: Typer, node: exp.ByteString) -> str | None:
    body = _written_body(t.text, node)
    if body is None:
        raise unsupported("E'...' escape string", hint="its text could not be checked")
    if any(m.group(1) not in _STANDARD_ESCAPES for m in _E_ESCAPE.finditer(body)):
        raise unsupported(
            f"E'...' escape string with {body!r}", hint="only \\b \\f \\n \\r \\t \\\\ \\' escapes"
        )
    if _decoded(body) != node.this:
        raise unsupported("E'...' escape string", hint="its text could not be checked")
    return T.STRING  # text; PostgreSQL's untyped literal could also become a date (refused then)


def _written_body(text: str, node: exp.ByteString) -> str | None:
    """What the statement's text holds between E' and ' at the literal's position (sqlglot's
    value has the escapes decoded already)."""
    start, end = node.meta.get("start"), node.meta.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and start >= 0 and start + 2 <= end < len(text)):
        return None
    written = text[start : end + 1]
    return written[2:-1] if written[:2] in ("E'", "e'") and written.endswith("'") else None


def _decoded(body: str) -> str:
    return _E_PIECE.sub(lambda m: "'" if m.group(1) is None else _STANDARD_ESCAPES[m.group(1)], body)


@construct.fixup(exp.ByteString)
def _escape_string_fix(t: Typer, node: exp.ByteString) -> exp.Expr:
    return exp.Literal.string(node.this)
