"""More string, date and integer functions: concat_ws, array_to_string, octet_length,
translate, make_date, div.

Each is allowed only where BigQuery's twin answers what PostgreSQL does (differential
tests in tests/sql/test_more_functions.py): concat_ws skips NULL arguments, which BigQuery
does for NULL elements of ARRAY_TO_STRING; array_to_string without a null string skips NULL
elements in both; octet_length is BYTE_LENGTH of the UTF-8 text; make_date is DATE(y, m, d).
"""

from __future__ import annotations

import re

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.fixups import ANONYMOUS_FIXUPS, call, cast, fixup
from pgbridge.sql.lexer import tokenize
from pgbridge.sql.rules_funcs import ANONYMOUS_RULES
from pgbridge.sql.typer import Typer, rule
from pgbridge.wire.errors import unsupported

# Argument types whose text form is the same in both engines (float, bool, dates differ).
_TEXTUAL = (T.STRING, T.INT)


def _want(t: Typer, node: exp.Expr, allowed: tuple[str, ...], what: str) -> str:
    if isinstance(node, exp.Null):
        return allowed[0]
    if t.types.get(id(node)) == T.UNKNOWN:
        t.settle(node, allowed[0])
    type_ = t.types.get(id(node))
    if type_ not in allowed or type_ is None:
        raise unsupported(f"{what} of {(type_ or 'unknown').lower()}")
    return type_


@rule(exp.ConcatWs)
def _concat_ws(t: Typer, node: exp.ConcatWs) -> str | None:
    separator, *args = node.expressions
    if not isinstance(separator, (exp.Literal, exp.Null)):
        raise unsupported("concat_ws() with a separator that is not a literal")
    _want(t, separator, (T.STRING,), "concat_ws() separator")
    if not args:
        raise unsupported("concat_ws() without values")
    for arg in args:
        _want(t, arg, _TEXTUAL, "concat_ws()")
    return T.STRING


@fixup(exp.ConcatWs)
def _concat_ws_fix(t: Typer, node: exp.ConcatWs) -> exp.Expr:
    separator, *args = node.expressions
    # ARRAY_TO_STRING drops NULL elements, as concat_ws drops NULL arguments.
    # COALESCE: an array of only NULLs joins to NULL on DuckDB, to '' in PostgreSQL and BigQuery.
    values = exp.Array(expressions=[cast(arg, T.STRING) for arg in args])
    joined = exp.func("COALESCE", call("ARRAY_TO_STRING", values, separator), exp.Literal.string(""))
    # A NULL separator makes the answer NULL, whatever the values.
    return cast(exp.null(), T.STRING) if isinstance(separator, exp.Null) else joined


@rule(exp.ArrayToString)
def _array_to_string(t: Typer, node: exp.ArrayToString) -> str | None:
    if node.args.get("null") is not None:
        raise unsupported("array_to_string() with a null string")
    if t.types.get(id(node.this)) != T.array_of(T.STRING):
        raise unsupported(f"array_to_string() of {(t.types.get(id(node.this)) or 'unknown').lower()}")
    if not isinstance(node.expression, exp.Literal):  # DuckDB needs a constant separator
        raise unsupported("array_to_string() with a separator that is not a literal")
    _want(t, node.expression, (T.STRING,), "array_to_string() separator")
    return T.STRING


@rule(exp.Translate)
def _translate(t: Typer, node: exp.Translate) -> str | None:
    for arg in (node.this, node.args["from_"], node.args["to"]):
        _want(t, arg, (T.STRING,), "translate()")
    return T.STRING


def _octet_length(t: Typer, node: exp.Anonymous) -> str | None:
    if len(node.expressions) != 1:
        raise unsupported("octet_length() with several arguments")
    _want(t, node.expressions[0], (T.STRING,), "octet_length()")
    return T.INT


def _make_date(t: Typer, node: exp.Anonymous) -> str | None:
    if len(node.expressions) != 3:
        raise unsupported("make_date() without three arguments")
    for arg in node.expressions:
        _want(t, arg, (T.INT,), "make_date()")
    return T.DATE


ANONYMOUS_RULES["octet_length"] = _octet_length
ANONYMOUS_RULES["make_date"] = _make_date
ANONYMOUS_FIXUPS["octet_length"] = lambda t, node: call("BYTE_LENGTH", *node.expressions)
ANONYMOUS_FIXUPS["make_date"] = lambda t, node: call("DATE", *node.expressions)


@rule(exp.IntDiv)
def _int_div(t: Typer, node: exp.IntDiv) -> str | None:
    # div(a, b) arrives as CAST(a DIV b AS numeric); both engines truncate integer quotients
    # toward zero (numeric operands: not yet checked).
    for arg in (node.this, node.expression):
        _want(t, arg, (T.INT,), "div()")
    return T.INT


# E'...' escapes checked against PostgreSQL; octal, hex and Unicode escapes can build bytes
# that are not UTF-8 (an error in PostgreSQL), so they stay refused.
_E_ESCAPE = re.compile(r"\\(.)", re.S)
_STANDARD_ESCAPES = set("bfnrt\\'")


@rule(exp.ByteString)
def _escape_string(t: Typer, node: exp.ByteString) -> str | None:
    literals = [tok for tok in tokenize(t.text) if tok.kind == "string" and t.text[tok.start] in "eE"]
    for token in literals:
        body = t.text[token.start + 2 : token.end - 1]
        if any(m.group(1) not in _STANDARD_ESCAPES for m in _E_ESCAPE.finditer(body)):
            raise unsupported(
                f"E'...' escape string with {body!r}", hint="only \\b \\f \\n \\r \\t \\\\ \\' escapes"
            )
    if node.this not in [token.value for token in literals]:
        raise unsupported("E'...' escape string", hint="its text could not be checked")
    return T.STRING  # text; PostgreSQL's untyped literal could also become a date (refused then)


@fixup(exp.ByteString)
def _escape_string_fix(t: Typer, node: exp.ByteString) -> exp.Expr:
    return exp.Literal.string(node.this)


@rule(exp.Ascii)
def _ascii(t: Typer, node: exp.Ascii) -> str | None:
    _want(t, node.this, (T.STRING,), "ascii()")
    return T.INT


@fixup(exp.Ascii)
def _ascii_fix(t: Typer, node: exp.Ascii) -> exp.Expr:
    # PostgreSQL's ascii() of UTF-8 text is the first code point (0 for ''): BigQuery's
    # UNICODE(); its ASCII() is defined for ASCII text only.
    return call("UNICODE", node.this)
