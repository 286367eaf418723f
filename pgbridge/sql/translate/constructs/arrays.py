"""Arrays: ARRAY[...], ARRAY(subquery), a[i], array_length(a, 1), cardinality(a).

BigQuery arrays cannot hold NULL, so ARRAY[...] with a NULL and ARRAY(subquery) of a value
that may be NULL are refused. a[i] out of range is NULL in PostgreSQL: SAFE_ORDINAL, with
literal indexes shifted from sqlglot's 0-based spelling. array_length('{}', 1) is NULL in
PostgreSQL (BigQuery: 0); only dimension 1 exists here.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import call, signed_literal
from pgbridge.sql.translate.checks import int_literal, settle_common
from pgbridge.sql.translate.constructs.array_agg import is_not_null_test
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("arrays")


@construct.rule(exp.Array)
def _array(t: Typer, node: exp.Array) -> str | None:
    if not node.expressions:
        raise unsupported("empty ARRAY[]")
    if any(isinstance(e, exp.Null) for e in node.expressions):
        raise unsupported("NULL inside ARRAY[...]", hint="BigQuery arrays cannot hold NULL")
    if any(isinstance(e, (exp.Subquery, exp.Select)) for e in node.expressions):
        return _array_subquery(t, node)
    element = settle_common(t, list(node.expressions))
    return T.array_of(element) if element else None


_ARRAY_ELEMENTS = (T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP)


def _array_subquery(t: Typer, node: exp.Array) -> str | None:
    """ARRAY(SELECT x ...): BigQuery's ARRAY(subquery) is the same array when no x is NULL
    (a BigQuery array cannot hold one): a literal, a REQUIRED column, count(), or a WHERE
    that says x IS NOT NULL. The empty result is '{}' in both."""
    query = node.expressions[0]
    query = query.this if isinstance(query, exp.Subquery) else query
    if len(node.expressions) != 1 or not isinstance(query, exp.Select) or len(query.expressions) != 1:
        raise unsupported("ARRAY(subquery) of several columns or a set operation")
    projection = query.expressions[0]
    value = projection.this if isinstance(projection, exp.Alias) else projection
    element = t.types.get(id(projection))
    if element == T.UNKNOWN:  # a subquery's untyped literal is text, as in PostgreSQL
        t.settle(value, T.STRING)
        t.set_type(projection, T.STRING)
        element = T.STRING
    if element not in _ARRAY_ELEMENTS:
        raise unsupported(f"ARRAY(subquery) of {(element or 'unknown').lower()}")
    where = query.args.get("where")
    tests = list(where.this.flatten()) if where is not None and isinstance(where.this, exp.And) else []
    if where is not None and not tests:
        tests = [where.this]
    never_null = (
        isinstance(value, (exp.Literal, exp.Count))
        or id(value) in t.required
        or any(is_not_null_test(test, value.sql("postgres")) for test in tests)
    )
    if not never_null:
        raise unsupported(
            "ARRAY(subquery) of a value that may be NULL",
            hint="BigQuery arrays cannot hold NULL; add WHERE x IS NOT NULL to the subquery",
        )
    return T.array_of(element)


@construct.rule(exp.ArraySize)
def _array_length(t: Typer, node: exp.ArraySize) -> str | None:
    if T.element_of(t.types.get(id(node.this))) is None:
        raise unsupported("array_length() of something that is not an array")
    if int_literal(node.expression) != 1:
        raise unsupported("array_length() of a dimension other than 1")
    return T.INT


@construct.rule("cardinality")
def _cardinality(t: Typer, node: exp.Anonymous) -> str | None:
    if len(node.expressions) != 1:
        raise unsupported("function cardinality()")
    if T.element_of(t.types.get(id(node.expressions[0]))) is None:
        raise unsupported("cardinality() of something that is not an array")
    return T.INT


@construct.rule(exp.Bracket)
def _bracket(t: Typer, node: exp.Bracket) -> str | None:
    element = T.element_of(t.types.get(id(node.this)))
    if element is None or len(node.expressions) != 1:
        raise unsupported("subscript on something that is not a one-dimensional array")
    t.settle(node.expressions[0], T.INT)
    if t.types.get(id(node.expressions[0])) != T.INT:
        raise unsupported("array subscript that is not an integer")
    return element


@construct.fixup(exp.Bracket)
def _bracket_fix(t: Typer, node: exp.Bracket) -> exp.Expr:
    index = node.expressions[0]
    literal = signed_literal(index)
    if literal is not None:
        index = exp.Literal.number(literal + 1)  # sqlglot stored PostgreSQL's a[1] as 0
    return exp.Bracket(this=node.this, expressions=[index], offset=1, safe=True)


@construct.fixup(exp.ArraySize)
def _array_length_fix(t: Typer, node: exp.ArraySize) -> exp.Expr:
    return exp.Nullif(this=call("ARRAY_LENGTH", node.this), expression=exp.Literal.number(0))


@construct.fixup("cardinality")
def _cardinality_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    return call("ARRAY_LENGTH", node.expressions[0])
