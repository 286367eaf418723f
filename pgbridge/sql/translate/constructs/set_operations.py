"""UNION, INTERSECT and EXCEPT: one output type per column, and the ALL variants BigQuery lacks.

The columns of both sides meet in PostgreSQL's common type (an untyped side takes the other's);
mixed types that PostgreSQL would convert are refused.

INTERSECT ALL and EXCEPT ALL are built by numbering duplicate rows. Each side's rows get
ROW_NUMBER() OVER (PARTITION BY every column): a row present m times on the left and n times
on the right becomes (row, 1..m) and (row, 1..n). INTERSECT DISTINCT of those keeps
(row, 1..min(m, n)), EXCEPT DISTINCT keeps (row, n+1..m): exactly the copies PostgreSQL's ALL
variants return. Set operations and PARTITION BY both treat NULLs as equal, as PostgreSQL's
set operations do. The outer SELECT drops the number again and takes the set operation's
ORDER BY / LIMIT / OFFSET (names in ORDER BY become output positions).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("set operations")


@construct.rule(exp.Union, exp.Intersect, exp.Except)
def _set_operation(t: Typer, node: exp.SetOperation) -> str | None:
    left, right = node.left.selects, node.right.selects
    if len(left) != len(right):
        return None  # PostgreSQL reports the mismatch; so will BigQuery
    out = [T.common_type([t.types.get(id(a)), t.types.get(id(b))]) for a, b in zip(left, right, strict=True)]
    if None in out:
        raise unsupported(
            f"mixing these types in one {node.key.upper()} column", hint="cast the columns to one type"
        )
    for side in (left, right):
        for projection, target in zip(side, out, strict=True):
            _settle_projection(t, projection, target)
    if not isinstance(node, exp.Union) and not node.args.get("distinct"):
        check_all(node, out)
    t.setop_out[id(node)] = out
    return out[0] if len(out) == 1 else None


def _settle_projection(t: Typer, projection: exp.Expr, target: str | None) -> None:
    inner = projection.this if isinstance(projection, exp.Alias) else projection
    if target is not None and t.types.get(id(inner)) == T.UNKNOWN and not isinstance(inner, exp.Null):
        t.settle(inner, target)


# Column types BigQuery can PARTITION BY and compare in a set operation.
_GROUPABLE = (T.INT, T.NUMERIC, T.STRING, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP, T.TIME, T.BYTES)


def check_all(node: exp.SetOperation, out: list[str | None]) -> None:
    for type_ in out:
        if type_ not in _GROUPABLE:
            raise unsupported(
                f"{node.key.upper()} ALL of {(type_ or 'unknown').lower()} columns",
                hint="supported for integer, numeric, text, boolean, date and time columns",
            )


def _leftmost(query: exp.Expr) -> exp.Select:
    while isinstance(query, (exp.SetOperation, exp.Subquery)):
        query = query.this
    assert isinstance(query, exp.Select)
    return query


def _numbered(side: exp.Expr, names: list[str]) -> exp.Select:
    select = _leftmost(side)
    select.set(
        "expressions",
        [
            exp.alias_(p.this if isinstance(p, exp.Alias) else p, name, quoted=True)
            for p, name in zip(select.expressions, names, strict=True)
        ],
    )
    columns = [exp.column(name, quoted=True) for name in names]
    number = exp.Window(this=exp.RowNumber(), partition_by=[c.copy() for c in columns], over="OVER")
    body = side.this if isinstance(side, exp.Subquery) else side
    return exp.select(*columns, exp.alias_(number, "_pgbridge_n", quoted=True)).from_(
        exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier("_pgbridge_side")))
    )


@construct.fixup(exp.Intersect, exp.Except)
def _set_all(t: Typer, node: exp.SetOperation) -> exp.Expr | None:
    if node.args.get("distinct"):
        return None
    original = [p.alias_or_name for p in _leftmost(node.left).expressions]
    names = [f"_pgbridge_c{i + 1}" for i in range(len(original))]
    kind = type(node)
    left, right = node.left.copy(), node.right.copy()
    inner = kind(this=_numbered(left, names), expression=_numbered(right, names), distinct=True)
    # A derived table's parent reads the columns by their PostgreSQL names: keep them.
    outputs = [
        exp.alias_(exp.column(n, quoted=True), o or n, quoted=True)
        for n, o in zip(names, original, strict=True)
    ]
    outer = exp.select(*outputs).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("_pgbridge_all")))
    )
    for key in ("order", "limit", "offset"):
        value = node.args.get(key)
        if value is not None:
            outer.set(key, value)
    _order_by_position(outer, original)
    return outer


def _order_by_position(select: exp.Select, names: list[str]) -> None:
    order = select.args.get("order")
    if order is None:
        return
    for ordered in order.expressions:
        target = ordered.this
        if isinstance(target, exp.Column) and not target.table and target.name in names:
            ordered.set("this", exp.Literal.number(names.index(target.name) + 1))
        elif not (isinstance(target, exp.Literal) and not target.is_string):
            raise unsupported(f"ORDER BY {target.sql('postgres')} on {select.key} ALL")
