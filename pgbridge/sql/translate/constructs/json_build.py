"""to_json / to_jsonb of scalars and json_build_object / jsonb_build_object.

jsonb results are BigQuery JSON values (TO_JSON, JSON_OBJECT): the gateway's encoder prints
them the way jsonb prints, so only the values must agree; they do for integers, booleans
and text. json results are text that PostgreSQL prints as built, so the translation builds
PostgreSQL's exact text in a STRING (output type PGJSON): escape_json's escapes for text,
`{"k" : v, "k2" : v2}` for json_build_object. A text value holding a control character
other than \\b \\f \\n \\r \\t (PostgreSQL writes \\u00XX) raises an error at run time rather
than be printed differently. Numeric, float, date and time values are refused: their JSON
forms differ (display scale, float text, zone offsets).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.encode.jsonfmt import escape_json_value
from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import rowrefs
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import PgError, SqlState, unsupported

construct = Construct("json building")


_SCALARS = (T.INT, T.BOOL, T.STRING)
_RARE_CONTROL = "[\\x00-\\x07\\x0b\\x0e-\\x1f]"  # regex text: controls without a short escape
_ESCAPES = [
    ("\\", "\\\\"),
    ('"', '\\"'),
    ("\b", "\\b"),
    ("\f", "\\f"),
    ("\n", "\\n"),
    ("\r", "\\r"),
    ("\t", "\\t"),
]


def _value_type(t: Typer, node: exp.Expr, function: str, allowed: tuple[str, ...]) -> str:
    type_ = t.types.get(id(node))
    if type_ == T.UNKNOWN and isinstance(node, exp.Literal) and function.endswith("build_object"):
        t.settle(node, T.STRING)  # build_object's "any" arguments read unknown literals as text
        type_ = T.STRING
    if isinstance(node, exp.Null):
        return T.UNKNOWN
    if type_ == T.UNKNOWN and function.startswith("to_json"):
        raise PgError(
            SqlState.DATATYPE_MISMATCH, "could not determine polymorphic type because input has type unknown"
        )
    if type_ not in allowed:
        raise unsupported(
            f"{function}() of {(type_ or 'unknown').lower()}",
            hint="supported for integer, boolean and text values",
        )
    return type_ or T.STRING


@construct.rule("to_jsonb")
def _to_jsonb(t: Typer, node: exp.Anonymous) -> str | None:
    if len(node.expressions) != 1:
        raise unsupported("to_jsonb() with several arguments")
    _value_type(t, node.expressions[0], "to_jsonb", (*_SCALARS, T.JSON, T.ROW))
    return T.JSON


@construct.rule("row_to_json", "to_json")
def _to_json(t: Typer, node: exp.Anonymous) -> str | None:
    name = str(node.this).lower()
    if len(node.expressions) != 1:
        raise unsupported(f"{name}() with several arguments")
    allowed = (T.ROW,) if name == "row_to_json" else (*_SCALARS, T.PGJSON, T.ROW)
    _value_type(t, node.expressions[0], name, allowed)
    return T.PGJSON


@construct.rule("json_build_object", "jsonb_build_object")
def _build_object(t: Typer, node: exp.Anonymous) -> str | None:
    name = str(node.this).lower()
    args = node.expressions
    if len(args) % 2:
        raise unsupported(f"{name}() with an odd number of arguments")
    keys = args[0::2]
    for key in keys:
        if not (isinstance(key, exp.Literal) and key.is_string):
            raise unsupported(f"{name}() with a key that is not a string literal")
        t.settle(key, T.STRING)
    if name == "jsonb_build_object" and len({k.this for k in keys}) != len(keys):
        raise unsupported(
            "jsonb_build_object() with a repeated key", hint="jsonb keeps the last; write it once"
        )
    allowed = (*_SCALARS, T.JSON) if name == "jsonb_build_object" else (*_SCALARS, T.PGJSON)
    for value in args[1::2]:
        _value_type(t, value, name, allowed)
    return T.JSON if name == "jsonb_build_object" else T.PGJSON




# -- translation -------------------------------------------------------------------------------


def _json_text(t: Typer, node: exp.Expr) -> exp.Expr:
    """PostgreSQL's json text of one value (NULL stays NULL)."""
    type_ = t.types.get(id(node))
    if type_ == T.PGJSON:
        return node
    if type_ == T.STRING:
        return _quoted(node)
    return cast(node, T.STRING)  # integers and booleans print alike in both engines


def _quoted(node: exp.Expr) -> exp.Expr:
    escaped: exp.Expr = node.copy()
    for raw, replacement in _ESCAPES:
        escaped = call("REPLACE", escaped, exp.Literal.string(raw), exp.Literal.string(replacement))
    text = exp.Concat(
        expressions=[exp.Literal.string('"'), escaped, exp.Literal.string('"')], safe=False, coalesce=False
    )
    rare = call("REGEXP_CONTAINS", node.copy(), exp.Literal.string(_RARE_CONTROL))
    fails = call("ERROR", exp.Literal.string("pgbridge cannot write this control character in json exactly"))
    return exp.If(this=rare, true=cast(fails, T.STRING), false=text)


@construct.fixup("row_to_json", "to_json")
def _to_json_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    value = node.expressions[0]
    if t.types.get(id(value)) == T.ROW:
        return rowrefs.as_struct(value)  # the encoder prints it as row_to_json would
    return _json_text(t, value)


@construct.fixup("to_jsonb")
def _to_jsonb_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    value = node.expressions[0]
    if t.types.get(id(value)) == T.ROW:
        return rowrefs.as_struct(value)  # declared jsonb: printed as json, then as jsonb
    if t.types.get(id(value)) == T.JSON:
        return value
    return call("TO_JSON", value)


@construct.fixup("json_build_object", "jsonb_build_object")
def _build_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    args = node.expressions
    if str(node.this).lower() == "jsonb_build_object":
        return call("JSON_OBJECT", *args)
    parts: list[exp.Expr] = [exp.Literal.string("{")]
    for index in range(0, len(args), 2):
        key, value = args[index], args[index + 1]
        separator = ", " if index else ""
        parts.append(exp.Literal.string(separator + escape_json_value(key.name) + " : "))
        text = exp.Literal.string("null") if isinstance(value, exp.Null) else _json_text(t, value)
        parts.append(exp.Coalesce(this=text, expressions=[exp.Literal.string("null")]))
    parts.append(exp.Literal.string("}"))
    return exp.Concat(expressions=parts, safe=False, coalesce=False)
