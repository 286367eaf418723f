"""INTERSECT ALL and EXCEPT ALL, which BigQuery lacks, by numbering duplicate rows.

Each side's rows get ROW_NUMBER() OVER (PARTITION BY every column): a row present m times on
the left and n times on the right becomes (row, 1..m) and (row, 1..n). INTERSECT DISTINCT of
those keeps (row, 1..min(m, n)), EXCEPT DISTINCT keeps (row, n+1..m): exactly the copies
PostgreSQL's ALL variants return. Set operations and PARTITION BY both treat NULLs as equal,
as PostgreSQL's set operations do. The outer SELECT drops the number again and takes the
set operation's ORDER BY / LIMIT / OFFSET (names in ORDER BY become output positions).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.fixups import fixup
from pgbridge.sql.typer import Typer
from pgbridge.wire.errors import unsupported

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


@fixup(exp.Intersect, exp.Except)
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
