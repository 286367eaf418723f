"""The types of a catalog query's $n parameters, and their values as DuckDB literals.

A client that Parses a statement with unspecified parameter types (asyncpg, SQLAlchemy's
asyncpg dialect, pgjdbc) encodes its arguments by the types ParameterDescription reports,
so `$11::INTEGER` must be reported as int4 and `oid = ANY($1::oid[])` as oid[], as
PostgreSQL's own parse analysis would. While describing, the rewriter leaves each parameter
as a NULL tagged with its number; its type comes from its context here: the cast around
it, or the other side of a comparison, IN list or ANY. reg* targets are reported as text
(the wire layer decodes no reg* values; the rewriter resolves the name once it has it),
and so is anything untyped or not decodable, which is what PostgreSQL does for `unknown`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from pgbridge.catalog.facts import load_facts, type_by_name
from pgbridge.catalog.infer import Inferrer, array_of
from pgbridge.catalog.rewrite import PARAM, REG_TYPES, type_name_of
from pgbridge.typemap import PgType
from pgbridge.wire.values import supported_oids

TEXT_OID = 25
# LIKE is absent on purpose: PostgreSQL types a pattern compared with a name column as text.
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)


def cast_types(tree: exp.Expr) -> dict[int, str]:
    """{parameter number: type name} for each `$n::type` of the query as written.

    Read before rewriting, because the rewrite drops the arguments of functions it answers
    with a constant (pg_get_constraintdef(oid, $1::boolean) becomes NULL).
    """
    found: dict[int, str] = {}
    for node in tree.find_all(exp.Placeholder, exp.Parameter):
        parent = node.parent
        while isinstance(parent, exp.Paren):
            parent = parent.parent
        index = int(node.name) if node.name.isdigit() else 0
        if index and isinstance(parent, exp.Cast):
            found.setdefault(index, type_name_of(parent.to))
    return found


def parameter_oids(tree: exp.Expr, inferrer: Inferrer, casts: dict[int, str]) -> dict[int, int]:
    """{parameter number: type OID}: explicit casts first, then the rewritten tree's context."""
    found = {index: _oid(type_by_name(name)) for index, name in casts.items()}
    for node in tree.walk():
        index = node.meta.get(PARAM)
        if index and index not in casts and found.get(index, TEXT_OID) == TEXT_OID:
            found[index] = _oid(load_facts().types_by_name.get(_context_type(node, inferrer) or ""))
    return found


def describe_oids(count: int, declared: Sequence[int], inferred: dict[int, int]) -> tuple[int, ...]:
    """What the client declared wins; then what the query implies; then text."""
    return tuple(
        declared[i] if i < len(declared) and declared[i] else inferred.get(i + 1, TEXT_OID)
        for i in range(count)
    )


def _oid(pg: PgType | None) -> int:
    if pg is None or pg.name in REG_TYPES or pg.oid not in supported_oids():
        return TEXT_OID
    return pg.oid


def _context_type(node: exp.Expr, inferrer: Inferrer) -> str | None:
    parent = node.parent
    while isinstance(parent, exp.Paren):
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Cast):
        return str(parent.meta.get("pgtype") or type_name_of(parent.to))
    if isinstance(parent, exp.Any) and isinstance(parent.parent, _COMPARISONS):
        return array_of(_other_side(parent, parent.parent, inferrer))
    if isinstance(parent, _COMPARISONS):
        return _other_side(node, parent, inferrer)
    if isinstance(parent, exp.In) and node is not parent.this:
        return inferrer.type_of(parent.this, inferrer.scope_of(parent))
    return None


def _other_side(node: exp.Expr, comparison: exp.Expr, inferrer: Inferrer) -> str | None:
    other = comparison.expression if node is comparison.this else comparison.this
    if other is None or other.meta.get(PARAM):
        return None
    return inferrer.type_of(other, inferrer.scope_of(comparison))
