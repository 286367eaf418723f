"""Masking inside the warehouse: every read of a masked table goes through a masking view.

Redacting an output after the warehouse computed on the clear value protects the output,
not the value: `repeat(x, 10^6)` of `substr(ssn, 3, 1) = '7'`, a statement_timeout tuned to
that work, a cast that fails on one digit, a generate_series bounded by `ascii(...)` all
answer a question about the clear value through time, errors or row counts (docs/security.md).
So a statement never sees a masked column's clear value at all: `shop.customers AS c`
becomes

    (SELECT m.id AS id, <masked ssn> AS ssn, ... FROM shop.customers AS _pgbridge_masked) AS c

wherever it is read (FROM, JOIN, subqueries, CTEs, set operations, EXISTS), before row
filters are applied (a filter reads the clear table inside the view). Every expression of the
statement then computes on masked values only, so its cost and outcome are functions of
what the client is allowed to see; this is how BigQuery's own column data masking works.

Strategies that have an exact SQL form are computed here (`masked_expression`). `hash` has
none without sending the gateway's key to the warehouse, so a hashed column passes through
the view in clear and pgbridge.masking.plan restricts it to uses whose work depends only on
what the pseudonyms reveal anyway (returned as is, grouped, compared with another pseudonym).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp, parse_one
from sqlglot.optimizer.scope import traverse_scope

from pgbridge.masking.settings import MaskRule
from pgbridge.masking.strategies import REDACTED
from pgbridge.typemap import parse_bq_type, pg_type_for

VIEW_ALIAS = "_pgbridge_masked"
_X = "_pgbridge_value"  # the placeholder a template's clear column is written as

# Per strategy, the expression over the clear value X for the types it keeps; every other
# type becomes a NULL of the column's type (as the Arrow strategies do). NULL stays NULL.
_TEMPLATES: dict[str, dict[str, str]] = {
    "redact": {"STRING": f"CASE WHEN {_X} IS NULL THEN NULL ELSE '{REDACTED}' END"},
    "email": {
        "STRING": f"CASE WHEN {_X} IS NULL THEN NULL WHEN strpos({_X}, '@') = 0 THEN '{REDACTED}' "
        f"ELSE '{REDACTED}@' || reverse(split_part(reverse({_X}), '@', 1)) END"
    },
    "year": {
        "DATE": f"CAST(date_trunc('year', {_X}) AS date)",
        "DATETIME": f"date_trunc('year', {_X})",
        "TIMESTAMP": f"date_trunc('year', {_X})",
    },
    "round": {
        "NUMERIC": f"round({_X}, @digits)",
        "BIGNUMERIC": f"round({_X}, @digits)",
        "INT64": f"CAST(round(CAST({_X} AS numeric), @digits) AS bigint)",
    },
}


def in_warehouse(rule: MaskRule) -> bool:
    """Whether the rule's strategy is computed by the masking view (all but `hash`)."""
    return rule.strategy != "hash"


def masked_expression(rule: MaskRule, bq_type: str) -> exp.Expr:
    """The masked value of column X (`_pgbridge_masked.<column>` once placed) under `rule`."""
    base = parse_bq_type(bq_type).name
    template = _partial(rule) if rule.strategy == "partial" and base == "STRING" else None
    template = template or _TEMPLATES.get(rule.strategy, {}).get(base)
    if template is None:
        return exp.Cast(this=exp.Null(), to=_pg_data_type(bq_type))
    digits = str(int(rule.options.get("digits", 0)))  # type: ignore[call-overload]
    expression = parse_one(template.replace("@digits", digits), read="postgres")
    # The clear value is cast to its own type: the translator then knows it in every context
    # (a scalar subquery inside VALUES, say), where a bare column's type could stay unknown.
    typed = exp.Cast(this=exp.column(_X), to=_pg_data_type(bq_type))
    return expression.transform(lambda n: typed.copy() if _is_placeholder(n) else n)


def _is_placeholder(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name == _X


def _partial(rule: MaskRule) -> str:
    keep = int(rule.options.get("keep", 4))  # type: ignore[call-overload]
    if keep <= 0:
        return _TEMPLATES["redact"]["STRING"]
    # The tail is kept only when at least as many characters stay hidden (strategies.partial).
    return (
        f"CASE WHEN {_X} IS NULL THEN NULL WHEN char_length({_X}) >= {2 * keep} "
        f"THEN '{REDACTED}' || right({_X}, {keep}) ELSE '{REDACTED}' END"
    )


def _pg_data_type(bq_type: str) -> exp.DataType:
    pg = pg_type_for(bq_type)
    if pg.element_oid:
        return exp.DataType.build(pg.name.lstrip("_") + "[]", dialect="postgres")
    return exp.DataType.build(pg.name, dialect="postgres")


# (dataset, table) -> {column: masked expression over X}; columns not listed pass through.
MaskedTables = Mapping[tuple[str, str], Mapping[str, exp.Expr]]


def wrap_masked_tables(
    ast: exp.Expr, tables: MaskedTables, all_columns: Mapping[tuple[str, str], list[str]]
) -> exp.Expr:
    """A copy of `ast` in which every read of a table in `tables` goes through its view.

    `all_columns` lists each table's columns in order. The view projects the columns the
    statement reads from that table (so cost estimates stay those of the statement), or all
    of them where that cannot be told (`*`, whole-row references, scopes sqlglot cannot model).
    """
    tree = ast.copy()
    targets = [t for t in tree.find_all(exp.Table) if _key(t) in tables]
    if not targets:
        return tree
    used = {} if _reads_whole_rows(tree) else _columns_read(tree)
    for table in targets:
        key = _key(table)
        assert key is not None
        alias = table.args.get("alias")
        names = None if alias is not None and alias.columns else used.get(id(table))
        columns = all_columns[key]
        if names is not None:
            columns = [c for c in columns if c.lower() in names]
        table.replace(_view(table, tables[key], columns))
    _unqualify(tree, set(tables))
    return tree


def _key(table: exp.Table) -> tuple[str, str] | None:
    if not isinstance(table.this, exp.Identifier) or not table.db:
        return None
    return (table.db.lower(), table.name.lower())


def _reads_whole_rows(tree: exp.Expr) -> bool:
    """Stars, USING and NATURAL joins name columns without Column nodes: project every column."""
    if any(not isinstance(star.parent, exp.Count) for star in tree.find_all(exp.Star)):
        return True
    return any(
        join.args.get("using") or (join.args.get("method") or "").upper() == "NATURAL"
        for join in tree.find_all(exp.Join)
    )


def _columns_read(tree: exp.Expr) -> dict[int, set[str] | None]:
    """Per table node (by id): the lower-case names of the columns read from it, or None when
    any column may be (a star, a whole-row reference); a node missing means None too."""
    used: dict[int, set[str] | None] = {}
    roots = [tree] if isinstance(tree, exp.Query) else [q for q in tree.find_all(exp.Query)]
    for root in roots:
        try:
            scopes = traverse_scope(root)
        except Exception:  # a shape sqlglot's scoping does not model: every column
            return {}
        external = [c for scope in scopes for c in scope.external_columns]
        # Unqualified names anywhere may bind to any table (scopes miss some, e.g. in HAVING).
        unqualified = [c for c in root.find_all(exp.Column) if not c.table]
        for scope in scopes:
            columns = [*scope.columns, *external, *unqualified]
            for alias, (_, source) in scope.selected_sources.items():
                if isinstance(source, exp.Table):
                    used[id(source)] = _names(alias.lower(), columns)
    return used


def _names(alias: str, columns: list[exp.Column]) -> set[str] | None:
    names: set[str] = set()
    for column in columns:
        table = column.table.lower()
        if isinstance(column.this, exp.Star) and table in ("", alias):
            return None
        if not table and column.name.lower() == alias:
            return None  # a whole-row reference: `SELECT c FROM t c`, row_to_json(c)
        if table in ("", alias):
            names.add(column.name.lower())  # unqualified: it may be this table's column
    return names


def _view(table: exp.Table, masked: Mapping[str, exp.Expr], columns: list[str]) -> exp.Subquery:
    alias = table.args.get("alias")
    if alias is None:
        alias = exp.TableAlias(this=exp.to_identifier(table.name, quoted=table.this.quoted))
    inner = table.copy()
    inner.set("alias", exp.TableAlias(this=exp.to_identifier(VIEW_ALIAS)))
    projection = [_projected(name, masked) for name in columns]
    if not projection:  # count(*): the view reads no column, as the statement did not
        projection = [exp.alias_(exp.Literal.number(1), "_pgbridge_row", quoted=True)]
    select = exp.Select(expressions=projection).from_(inner)
    return exp.Subquery(this=select, alias=alias.copy())


def _projected(name: str, masked: Mapping[str, exp.Expr]) -> exp.Expr:
    clear = exp.column(name, VIEW_ALIAS, quoted=True)
    expression = masked.get(name.lower())
    if expression is None:
        return clear.as_(name, quoted=True)

    placed = expression.copy().transform(lambda n: clear.copy() if _is_placeholder(n) else n)
    return placed.as_(name, quoted=True)


def _unqualify(tree: exp.Expr, wrapped: set[tuple[str, str]]) -> None:
    """`shop.customers.ssn` must now say `customers.ssn`: the dataset stayed inside the view."""
    for column in tree.find_all(exp.Column):
        db = column.args.get("db")
        if db is not None and (db.name.lower(), column.table.lower()) in wrapped:
            column.set("db", None)
            column.set("catalog", None)
