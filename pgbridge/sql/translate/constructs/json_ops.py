"""jsonb operators on BigQuery JSON columns: ->, ->> and @> with a flat object literal.

BigQuery JSON maps to jsonb (DESIGN.md, "Types"). The translations and where they stop:

- `j -> 'k'`, `j -> 0`: JSON_QUERY(j, '$.k') / '$[0]'. Missing keys and out-of-range indexes
  are NULL in both, JSON null stays JSON null. Negative indexes (PostgreSQL counts from the
  end) and keys that are not plain identifiers are refused.
- `j ->> 'k'`: JSON_VALUE, which matches PostgreSQL for strings, booleans and plain numbers.
  PostgreSQL returns an object or array as its jsonb text and a number in exponent notation
  as numeric_out would print it; BigQuery's JSON_VALUE returns NULL or the exponent form
  there, so those values raise an error at run time instead of returning a different answer.
- `j @> '{"k": v, ...}'`: exact when every v is a string, boolean or integer: the key's
  value must have that JSON type and that value; NULL only when j is NULL, as in PostgreSQL.
"""

from __future__ import annotations

import json
import re

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import call
from pgbridge.sql.translate.constructs import array_ops
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("json operators")


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_TEXT = "pgbridge cannot return this json value as text exactly (an object, array or exponent number)"


def _path(node: exp.Expr) -> str:
    """The BigQuery JSONPath of one -> / ->> step."""
    path = node.expression
    steps = path.expressions if isinstance(path, exp.JSONPath) else []
    if len(steps) != 2 or not isinstance(steps[0], exp.JSONPathRoot):
        raise unsupported("json operator with a key that is not a literal")
    step = steps[1]
    if isinstance(step, exp.JSONPathKey) and _KEY.fullmatch(str(step.this)):
        return f"$.{step.this}"
    if isinstance(step, exp.JSONPathSubscript) and isinstance(step.this, int) and step.this >= 0:
        return f"$[{step.this}]"
    raise unsupported(
        f"json key {step.sql('postgres')}", hint="keys must be plain names and indexes non-negative integers"
    )


@construct.rule(exp.JSONExtract, exp.JSONExtractScalar)
def _json_extract(t: Typer, node: exp.Expr) -> str | None:
    source = t.types.get(id(node.this))
    operator = "->>" if isinstance(node, exp.JSONExtractScalar) else "->"
    if source != T.JSON:
        raise unsupported(f"json operator {operator} on {(source or 'unknown').lower()}")
    _path(node)
    return T.STRING if isinstance(node, exp.JSONExtractScalar) else T.JSON


@construct.rule(exp.JSONPath, exp.JSONPathRoot, exp.JSONPathKey, exp.JSONPathSubscript)
def _json_path(t: Typer, node: exp.Expr) -> str | None:
    return None


@construct.fixup(exp.JSONExtract)
def _arrow(t: Typer, node: exp.JSONExtract) -> exp.Expr:
    return call("JSON_QUERY", node.this, exp.Literal.string(_path(node)))


@construct.fixup(exp.JSONExtractScalar)
def _arrow_text(t: Typer, node: exp.JSONExtractScalar) -> exp.Expr:
    path = exp.Literal.string(_path(node))
    kind = exp.JSONType(this=call("JSON_QUERY", node.this.copy(), path.copy()))
    value = call("JSON_VALUE", node.this, path)
    composite = exp.In(
        this=kind.copy(), expressions=[exp.Literal.string("object"), exp.Literal.string("array")]
    )
    exponent = exp.and_(
        exp.EQ(this=kind, expression=exp.Literal.string("number")),
        call("REGEXP_CONTAINS", value.copy(), exp.Literal.string("[eE]")),
    )
    fails = call("ERROR", exp.Literal.string(_NOT_TEXT))
    return exp.If(this=exp.or_(composite, exponent), true=fails, false=value)


# -- containment -----------------------------------------------------------------------------


def _contained_pairs(node: exp.ArrayContainsAll) -> dict[str, object] | None:
    literal = node.expression
    if not (isinstance(literal, exp.Literal) and literal.is_string):
        return None
    try:
        wanted = json.loads(literal.this)
    except ValueError:
        return None
    if not isinstance(wanted, dict) or not wanted:
        return None
    for key, value in wanted.items():
        if not _KEY.fullmatch(key) or not isinstance(value, (str, bool, int)):
            return None
        if isinstance(value, int) and abs(value) > 2**53:
            return None
    return wanted


@construct.rule("jsonb_typeof")
def _jsonb_typeof(t: Typer, node: exp.Anonymous) -> str | None:
    # BigQuery's JSON_TYPE names the same six kinds as jsonb_typeof: object, array, string,
    # number, boolean, null (SQL NULL for SQL NULL).
    if len(node.expressions) != 1 or t.types.get(id(node.expressions[0])) != T.JSON:
        raise unsupported("jsonb_typeof() of anything but one jsonb value")
    return T.STRING


@construct.fixup("jsonb_typeof")
def _jsonb_typeof_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    return exp.JSONType(this=node.expressions[0])


@construct.rule(exp.ArrayContainsAll)
def _contains(t: Typer, node: exp.ArrayContainsAll) -> str | None:
    if T.element_of(t.types.get(id(node.this))) is not None:
        return array_ops.check(t, node)  # text[] @> text[]
    if t.types.get(id(node.this)) != T.JSON:
        raise unsupported("array operator @>", hint="only jsonb @> '{\"key\": value}' is supported")
    if _contained_pairs(node) is None:
        raise unsupported(
            "jsonb @> with this right-hand side",
            hint="use a flat object literal of string, boolean or integer values",
        )
    t.set_type(node.expression, T.STRING)
    return T.BOOL


@construct.fixup(exp.ArrayContainsAll)
def _contains_fix(t: Typer, node: exp.ArrayContainsAll) -> exp.Expr:
    if T.element_of(t.types.get(id(node.this))) is not None:
        return array_ops.translated(node)
    pairs = _contained_pairs(node)
    assert pairs is not None
    source = node.this
    tests = [_has_pair(source, key, value) for key, value in pairs.items()]
    every = exp.and_(*tests) if len(tests) > 1 else tests[0]
    found = exp.Coalesce(this=every, expressions=[exp.false()])
    return exp.If(this=exp.Is(this=source.copy(), expression=exp.Null()), true=exp.Null(), false=found)


def _has_pair(source: exp.Expr, key: str, value: object) -> exp.Expr:
    path = exp.Literal.string(f"$.{key}")
    kind = exp.JSONType(this=call("JSON_QUERY", source.copy(), path.copy()))
    text: exp.Expr = call("JSON_VALUE", source.copy(), path)
    wanted: exp.Expr
    if isinstance(value, bool):
        expected_kind, wanted = "boolean", exp.Literal.string("true" if value else "false")
    elif isinstance(value, int):
        # numeric equality, as jsonb compares numbers (1200.0 matches 1200)
        text = exp.TryCast(this=text, to=exp.DataType.build("BIGNUMERIC", dialect="bigquery"))
        expected_kind, wanted = "number", exp.Literal.number(value)
    else:
        expected_kind, wanted = "string", exp.Literal.string(str(value))
    same_kind = exp.EQ(this=kind, expression=exp.Literal.string(expected_kind))
    return exp.and_(same_kind, exp.EQ(this=text, expression=wanted))
