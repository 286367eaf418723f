"""LATERAL subqueries in FROM as BigQuery correlated UNNEST(ARRAY(SELECT AS STRUCT ...)) joins.

BigQuery has no LATERAL, but a correlated ARRAY subquery may read the row it is joined to,
and UNNEST turns its rows back into a table: `FROM c LEFT JOIN LATERAL (SELECT ...) x ON true`
becomes `FROM c LEFT JOIN UNNEST(ARRAY(SELECT AS STRUCT ...)) AS x ON TRUE`. Each subquery row
is one STRUCT, so `x.col` reads the same column; a row of c with no subquery rows keeps one
row of NULLs under LEFT JOIN and disappears under CROSS JOIN / a comma, as in PostgreSQL.
ORDER BY and LIMIT inside the subquery keep their meaning. Refused: a join condition other
than ON true, RIGHT/FULL joins, column-name lists on the alias, unnamed or repeated output
columns, and array columns (BigQuery has no NULL array inside a STRUCT).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("lateral")


_FIELD_TYPES = (T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP, T.TIME, T.BYTES)


@construct.rule(exp.Lateral)
def _lateral(t: Typer, node: exp.Lateral) -> str | None:
    join = node.parent
    query = node.this
    if not isinstance(join, exp.Join) or not isinstance(query, exp.Subquery):
        raise unsupported(
            "LATERAL here", hint="use it as a FROM item: [LEFT] JOIN LATERAL (SELECT ...) x ON true"
        )
    side = (join.side or "").upper()
    on = join.args.get("on")
    if side not in ("", "LEFT") or join.args.get("using") or (on is not None and not _is_true(on)):
        raise unsupported("LATERAL join other than [LEFT] JOIN LATERAL (...) ON true or CROSS JOIN LATERAL")
    alias = node.args.get("alias") or query.args.get("alias")
    if alias is None or not alias.name or alias.columns:
        raise unsupported("LATERAL subquery without a plain alias", hint="write LATERAL (SELECT ...) AS x")
    select = query.this
    if not isinstance(select, exp.Select):
        raise unsupported("LATERAL subquery that is not a single SELECT")
    names = [p.alias_or_name for p in select.expressions]
    if len(set(names)) != len(names) or not all(names):
        raise unsupported("LATERAL subquery with unnamed or repeated output columns")
    for projection, name in zip(select.expressions, names, strict=True):
        type_ = t.types.get(id(projection))
        if type_ == T.UNKNOWN:
            t.settle(projection.this if isinstance(projection, exp.Alias) else projection, T.STRING)
            t.set_type(projection, T.STRING)
        elif type_ not in _FIELD_TYPES:
            raise unsupported(f'LATERAL subquery column "{name}" of type {(type_ or "unknown").lower()}')
    return None


def _is_true(node: exp.Expr) -> bool:
    return isinstance(node, exp.Boolean) and bool(node.this)


@construct.fixup(exp.Lateral)
def _lateral_fix(t: Typer, node: exp.Lateral) -> exp.Expr:
    query = node.this
    alias = node.args.get("alias") or query.args.get("alias")
    select = query.this.copy()
    select.set("kind", "STRUCT")
    join = node.parent
    if isinstance(join, exp.Join) and not join.side:
        join.set("kind", "CROSS")
        join.set("on", None)
    elif isinstance(join, exp.Join) and join.args.get("on") is None:
        join.set("on", exp.true())
    return exp.Unnest(
        expressions=[exp.Array(expressions=[select])],
        # BigQuery's UNNEST alias names the element (a value alias): x.col reads a STRUCT field.
        alias=exp.TableAlias(columns=[exp.to_identifier(alias.name)]),
    )
