"""Table previews: `SELECT cols FROM t [LIMIT n]`, the first question an agent or a BI tool asks
of a table (LangChain samples every table so before its first answer).

BigQuery serves such a read through tabledata.list or a Storage Read session, free of charge,
so the cost rule must see 0 bytes, not the full scan a query would bill. A statement is a
preview when it reads plain columns of one table, with no WHERE, GROUP BY, HAVING, ORDER BY,
DISTINCT, join, window, CTE, OFFSET or expression, and at most a constant LIMIT.

Two kinds of table are read by a real query even so, because the rows must pass through SQL:
- a table the role reads through a row filter (the filter is a WHERE the gateway adds);
- a table with a column masked for the role. Masked values are computed inside the warehouse
  by the masking views (pgbridge.masking.views), so no clear value ever reaches the gateway;
  serving such a preview from raw rows would need a second implementation of every mask in
  the gateway, holding clear values, which the design rules out.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.backends.base import TableRead

_NOT_A_PREVIEW = (
    "where",
    "group",
    "having",
    "order",
    "joins",
    "distinct",
    "with_",
    "windows",
    "qualify",
    "offset",
    "laterals",
    "locks",
    "sample",
    "connect",
    "prewhere",
    "cluster",
    "distribute",
    "sort",
    "match",
    "pivots",
    "into",
    "kind",
    "settings",
    "format",
    "options",
    "operation_modifiers",
)


def table_preview(ast: exp.Expr) -> TableRead | None:
    """The preview a resolved statement is, or None."""
    if not isinstance(ast, exp.Select) or any(ast.args.get(key) for key in _NOT_A_PREVIEW):
        return None
    source = ast.args.get("from_") or ast.args.get("from")
    table = source.this if isinstance(source, exp.From) else None
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier) or not table.db:
        return None
    if table.catalog or table.args.get("joins") or table.args.get("laterals") or table.args.get("version"):
        return None
    columns = [_column(p, table) for p in ast.expressions]
    limit = _limit(ast.args.get("limit"))
    if not columns or None in columns or limit is False:
        return None
    return TableRead(
        table.db, table.name, tuple(c for c in columns if c), limit if limit is not True else None
    )


def _column(projection: exp.Expr, table: exp.Table) -> str | None:
    column = projection.this if isinstance(projection, exp.Alias) else projection
    if not isinstance(column, exp.Column) or not isinstance(column.this, exp.Identifier):
        return None
    if column.table and column.table not in (table.alias_or_name, table.name):
        return None
    return column.name


def _limit(limit: exp.Expr | None) -> int | bool:
    """The constant row limit; True for none, False for one that is not a constant."""
    if limit is None:
        return True
    value = limit.args.get("expression")
    if isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
        return int(value.this)
    return False
