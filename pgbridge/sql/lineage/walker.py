"""Column lineage: which warehouse columns each output column derives from, and how.

Masking decides per output column from this (DESIGN.md, "Masking"), so it must be right
for every query shape a client can send, and must say so when it cannot tell. sqlglot's own
`lineage()` misses whole-row references (`SELECT u FROM t u`, `row_to_json(u)`) and tables
missing from the schema, so this is a small scope walker of its own over the sqlglot AST:

- every FROM item becomes a `FromItem` whose columns carry a `Lin` (source columns + whether
  the value is a source's value unchanged); queries nest as scopes with an outer link
  (correlated subqueries, LATERAL), CTEs as named column lists (recursive ones to a fixpoint)
  (scope.py);
- every place a value is *used* rather than returned (WHERE, JOIN, GROUP BY, ORDER BY,
  windows, aggregates, CASE conditions, casts, divisors, DISTINCT and set operations) is
  recorded as a `ColumnUse`, so the masking guard can refuse inference (`WHERE ssn LIKE '1%'`);
  so are the ways a value steers a result without being returned: the arguments of a
  set-returning function in FROM and of UNNEST (their row count: `count(*) FROM
  generate_series(1, strpos(ssn, '8'))` returns a digit's position) and arithmetic, whose
  overflow error or success answers a comparison (`strpos(ssn, '8') + 9223372036854775800`),
  as do the control arguments of functions that fail on some values (`ntile(strpos(ssn, '8') - 8)`,
  a regular expression, a JSON path, an array subscript, a to_char format), FILTER (WHERE ...),
  and set-returning calls in the select list (values.py);
- fail closed on what it does not know: a value may flow only through the functions and
  operators listed in flow.py's `VALUE_NODES` / `SYNTAX` (known not to fail, with their
  control arguments named); every argument of any other function is a use (so a masked value
  cannot reach it), and any other node raises `LineageError`. Every SELECT in the tree must
  have been visited, so an unhandled construct cannot hide a subquery;
- DML (INSERT ... SELECT / VALUES, UPDATE ... SET [FROM], DELETE [USING]): the values written,
  by target column, and the uses in WHERE (the command tag's row count answers it).

The walker knows nothing about masking rules: it reports sources and uses; pgbridge.masking
decides. Names compare case-insensitively (BigQuery column names are).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlglot import exp

from pgbridge.sql.lineage.model import Analysis, ColumnLineage, LineageError, SchemaLookup, SourceColumn
from pgbridge.sql.lineage.scope import (
    EMPTY,
    QUERY_NODES,
    Cols,
    FromItem,
    Lin,
    Scope,
    merge,
    name_of,
    ordered_items,
)
from pgbridge.sql.lineage.values import ValueTracer


def output_lineage(ast: exp.Expr, schema: SchemaLookup) -> list[ColumnLineage]:
    """Per output column of a query: its source columns and whether it is a pass-through."""
    return list(analyze(ast, schema).columns)


def analyze(ast: exp.Expr, schema: SchemaLookup) -> Analysis:
    """Lineage of the output columns plus every use of a column outside the output."""
    walker = Walker(schema)
    if isinstance(ast, (exp.Insert, exp.Update, exp.Delete)):
        writes = walker.dml(ast)
        walker.check_all_visited(ast)
        written = tuple(ColumnLineage(name, lin.sources, lin.direct) for name, lin in writes)
        return Analysis((), tuple(walker.uses), frozenset(walker.tables), written)
    if not isinstance(ast, (*QUERY_NODES, exp.Subquery, exp.Values)):
        kind = ast.key.upper() if isinstance(ast, exp.Expression) else type(ast).__name__
        raise LineageError(f"{kind} is not a statement whose output can be traced")
    cols = walker.query(ast, None, {})
    walker.check_all_visited(ast)
    columns = tuple(ColumnLineage(name, lin.sources, lin.direct) for name, lin in cols)
    return Analysis(columns, tuple(walker.uses), frozenset(walker.tables))


class Walker(ValueTracer):
    """Queries, DML and FROM items; the values inside them are ValueTracer's."""

    def query(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, Cols]) -> Cols:
        ctes = self.with_clause(node, outer, ctes)
        if isinstance(node, exp.Subquery):
            return self.query(node.this, outer, ctes)
        if isinstance(node, exp.SetOperation):
            return self.set_operation(node, outer, ctes)
        if isinstance(node, exp.Select):
            return self.select(node, outer, ctes)
        if isinstance(node, exp.Values):
            return self.values(node, outer)
        raise LineageError(f"cannot trace the columns of {node.key.upper()} ({node.sql('postgres')[:80]})")

    def with_clause(
        self, node: exp.Expression, outer: Scope | None, ctes: dict[str, Cols]
    ) -> dict[str, Cols]:
        with_ = node.args.get("with_")
        if not with_:
            return ctes
        ctes = dict(ctes)
        for cte in with_.expressions:
            ctes[name_of(cte.alias)] = self.cte(cte, outer, ctes, bool(with_.args.get("recursive")))
        return ctes

    def cte(self, cte: exp.CTE, outer: Scope | None, ctes: dict[str, Cols], recursive: bool) -> Cols:
        name = name_of(cte.alias)
        body = cte.this
        if not recursive or not isinstance(body, exp.SetOperation):
            return _rename(self.query(body, outer, ctes), cte.args.get("alias"))
        # Recursive: start from the anchor, then re-walk the body until the lineage is stable.
        current = _rename(self.query(body.this, outer, ctes), cte.args.get("alias"))
        for _ in range(20):
            step = _rename(self.query(body, outer, {**ctes, name: current}), cte.args.get("alias"))
            merged = _union_by_position(current, step, f"recursive CTE {name}")
            if merged == current:
                return current
            current = merged
        raise LineageError(f"the lineage of recursive CTE {name} did not settle")

    def dml(self, node: exp.Expression) -> Cols:
        """The values an INSERT / UPDATE writes; the uses in its WHERE (the command tag's row
        count answers it); anything beyond plain INSERT ... SELECT / VALUES, UPDATE ... SET
        [FROM] [WHERE] and DELETE [USING] [WHERE] (RETURNING, ON CONFLICT ...) is untraceable."""
        unknown = [k for k, v in node.args.items() if v and k not in _DML_HANDLED[type(node)]]
        if unknown:
            raise LineageError(f"cannot trace this {node.key.upper()}: it uses {unknown[0].upper()}")
        ctes = self.with_clause(node, None, {})
        if isinstance(node, exp.Insert):
            return self.insert(node, ctes)
        scope = Scope(ctes=ctes)
        scope.add(self.source(node.this, scope))
        extra = [node.args["from_"].this] if node.args.get("from_") else node.args.get("using") or []
        for item in extra:
            scope.add(self.source(item, scope))
        if node.args.get("where"):
            self.use(node.args["where"].this, scope, "WHERE", False)
        if isinstance(node, exp.Update):
            return [self.assignment(eq, scope) for eq in node.expressions]
        return []

    def assignment(self, eq: exp.Expression, scope: Scope) -> tuple[str, Lin]:
        if not isinstance(eq, exp.EQ) or not isinstance(eq.this, exp.Column):
            raise LineageError(f"cannot trace the assignment {eq.sql('postgres')[:80]}")
        return name_of(eq.this.this), self.lin(eq.expression, scope)

    def insert(self, node: exp.Insert, ctes: dict[str, Cols]) -> Cols:
        target = node.this
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table):
            raise LineageError(f"cannot trace the INSERT target {target.sql('postgres')[:80]}")
        self.tables.add((name_of(table.args.get("db")), name_of(table.this)))
        if node.expression is None:
            raise LineageError("cannot trace an INSERT without a query or VALUES")
        cols = self.query(node.expression, None, ctes)
        names = [name_of(c) for c in target.expressions] if isinstance(target, exp.Schema) else []
        return [(names[i] if i < len(names) else n, lin) for i, (n, lin) in enumerate(cols)]

    def set_operation(self, node: exp.SetOperation, outer: Scope | None, ctes: dict[str, Cols]) -> Cols:
        self.visited.add(id(node))
        left = self.query(node.this, outer, ctes)
        right = self.query(node.expression, outer, ctes)
        cols = _union_by_position(left, right, node.key.upper())
        if not isinstance(node, exp.Union) or node.args.get("distinct"):
            # INTERSECT, EXCEPT and UNION DISTINCT compare rows for equality.
            for lin in [*(lin for _, lin in left), *(lin for _, lin in right)]:
                self.record(node.key.upper(), lin, True, node)
        scope = Scope(outer=outer, projection=cols)
        for ordered in ordered_items(node.args.get("order")):
            self.use(ordered.this, scope, "ORDER BY", False, output_names=True)
        for key in ("limit", "offset"):
            if node.args.get(key):
                self.use(node.args[key], scope, key.upper(), False)
        return cols

    def values(self, node: exp.Values, outer: Scope | None) -> Cols:
        scope = Scope(outer=outer)
        rows = [row.expressions if isinstance(row, exp.Tuple) else [row] for row in node.expressions]
        width = len(rows[0]) if rows else 0
        if any(len(row) != width for row in rows):
            raise LineageError("VALUES lists must all be the same length")
        cols = [(f"column{i + 1}", merge(self.lin(row[i], scope) for row in rows)) for i in range(width)]
        return _rename(cols, node.args.get("alias"))

    def select(self, node: exp.Select, outer: Scope | None, ctes: dict[str, Cols]) -> Cols:
        self.visited.add(id(node))
        unknown = [k for k, v in node.args.items() if v and k not in _SELECT_HANDLED | _INERT_ARGS]
        if unknown:
            raise LineageError(f"cannot trace a query using {unknown[0].upper()}")
        scope = Scope(outer=outer, ctes=ctes)
        if node.args.get("from_"):
            self.from_item(node.args["from_"].this, scope)
        for join in node.args.get("joins") or []:
            self.join(join, scope)
        scope.projection = self.projection(node, scope)
        self.clauses(node, scope)
        return scope.projection

    def projection(self, node: exp.Select, scope: Scope) -> Cols:
        cols: Cols = []
        for item in node.expressions:
            if isinstance(item, exp.Star) or (
                isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
            ):
                cols.extend(self.star(item, scope))
            else:
                cols.append((_output_name(item), self.lin(item, scope)))
        return cols

    def clauses(self, node: exp.Select, scope: Scope) -> None:
        if node.args.get("where"):
            self.use(node.args["where"].this, scope, "WHERE", False)
        group = node.args.get("group")
        if group:
            for item in _grouping_items(group):
                self.use(item, scope, "GROUP BY", True, output_names=True)
        for key in ("having", "qualify"):
            if node.args.get(key):
                self.use(node.args[key].this, scope, key.upper(), False)
        for window in node.args.get("windows") or []:
            self.window_spec(window, scope)
        distinct = node.args.get("distinct")
        if distinct:
            self.distinct(distinct, scope)
        for ordered in ordered_items(node.args.get("order")):
            self.use(ordered.this, scope, "ORDER BY", False, output_names=True)
        for key in ("limit", "offset"):
            if node.args.get(key):
                self.use(node.args[key], scope, key.upper(), False)

    def distinct(self, distinct: exp.Distinct, scope: Scope) -> None:
        on = distinct.args.get("on")
        if on is not None:
            for item in on.expressions if isinstance(on, exp.Tuple) else [on]:
                self.use(item, scope, "DISTINCT ON", True, output_names=True)
            return
        # DISTINCT compares whole output rows: an equality use of every output column.
        for _, lin in scope.projection:
            self.record("DISTINCT", lin, True, distinct)

    def from_item(self, item: exp.Expression, scope: Scope) -> None:
        scope.add(self.source(item, scope))

    def join(self, join: exp.Join, scope: Scope) -> None:
        source = self.source(join.this, scope)
        using = [name_of(i) for i in join.args.get("using") or []]
        if (join.args.get("method") or "").upper() == "NATURAL":
            right = {n for n, _ in source.all_columns()}
            using = [n for s in scope.sources.values() for n, _ in s.all_columns() if n in right]
        if using:
            self.merge_using(using, source, scope, join)
        scope.add(source)
        if join.args.get("on"):
            self.use(join.args["on"], scope, "JOIN ON", False)

    def merge_using(self, using: list[str], right: FromItem, scope: Scope, join: exp.Join) -> None:
        for name in using:
            left = self.resolve_unqualified(name, scope, local_only=True)
            right_lin = right.column(name)
            if right_lin is None:
                raise LineageError(f"column {name} named in USING is not in {right.alias}")
            merged = merge([left, right_lin], direct=True)
            self.record("JOIN USING", left, True, join, right_lin)
            self.record("JOIN USING", right_lin, True, join, left)
            scope.merged = [(n, lin) for n, lin in scope.merged if n != name] + [(name, merged)]

    def source(self, item: exp.Expression, scope: Scope) -> FromItem:
        if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            return self.table(item, scope)
        alias_node = item.args.get("alias")
        alias = name_of(alias_node.this if alias_node else None)
        lateral = Scope(sources=dict(scope.sources), outer=scope.outer, ctes=scope.ctes, merged=scope.merged)
        if isinstance(item, exp.Lateral):
            return self.lateral(item, lateral, alias)
        if isinstance(item, exp.Subquery):
            cols = _rename(self.query(item.this, scope.outer, scope.ctes), alias_node)
            return FromItem(alias, cols)
        if isinstance(item, exp.Unnest):
            return self.unnest(item, lateral, alias)
        if isinstance(item, exp.Values):
            return FromItem(alias, self.values(item, scope.outer))
        if isinstance(item, exp.Table):  # a table function: generate_series(...), unnest(...)
            return self.table_function(item.this, item.args.get("alias"), lateral, alias)
        raise LineageError(f"cannot trace FROM item {item.sql('postgres')[:80]}")

    def table(self, item: exp.Table, scope: Scope) -> FromItem:
        if item.args.get("joins") or item.args.get("laterals") or item.args.get("pivots"):
            raise LineageError(f"cannot trace FROM item {item.sql('postgres')[:80]}")
        name, dataset = name_of(item.this), name_of(item.args.get("db"))
        alias = name_of(item.alias) or name
        if not dataset and name in scope.ctes:
            return FromItem(alias, _rename(scope.ctes[name], item.args.get("alias")))
        self.tables.add((dataset, name))
        fields = self.schema(dataset, name) if dataset else None
        if fields is None:
            return FromItem(alias, None, table=(dataset, name))
        cols = [
            (f.name.lower(), Lin(frozenset({SourceColumn(dataset, name, f.name.lower())}), True))
            for f in fields
        ]
        return FromItem(alias, _rename(cols, item.args.get("alias")))

    def lateral(self, item: exp.Lateral, scope: Scope, alias: str) -> FromItem:
        inner, alias_node = item.this, item.args.get("alias")
        if isinstance(inner, exp.Unnest):  # CROSS JOIN LATERAL unnest(...) AS t(x)
            return self.unnest(inner, scope, alias, alias_node or inner.args.get("alias"))
        if isinstance(inner, exp.Func) and not isinstance(inner, QUERY_NODES):
            function = cast("exp.Expression", inner)
            return self.table_function(function, alias_node, scope, alias)  # LATERAL generate_series()
        return FromItem(alias, _rename(self.query(inner, scope, scope.ctes), alias_node))

    def unnest(
        self, item: exp.Unnest, scope: Scope, alias: str, alias_node: exp.Expression | None = None
    ) -> FromItem:
        for array in item.expressions:
            if not isinstance(array, exp.Array):  # ARRAY[a, b] has as many rows as it has items
                self.use(array, scope, "UNNEST", False)
        lins = [merge([self.lin(e, scope)]) for e in item.expressions]
        names = _alias_columns(alias_node or item.args.get("alias"))
        if not names:
            names = [alias or "unnest"] if len(lins) == 1 else [f"unnest{i}" for i in range(len(lins))]
        cols = list(zip(names, lins, strict=False))
        if item.args.get("offset"):
            offset = item.args["offset"]
            cols.append((name_of(offset) if isinstance(offset, exp.Expression) else "offset", EMPTY))
        if len(cols) != len(names) and len(names) > len(lins):
            cols.extend((n, EMPTY) for n in names[len(cols) :])  # WITH ORDINALITY column
        return FromItem(alias or names[0], cols)

    def table_function(
        self, function: exp.Expression, alias_node: exp.Expression | None, scope: Scope, alias: str
    ) -> FromItem:
        # How many rows it returns depends on its arguments' values: a use, not only a source.
        for argument in function.iter_expressions():
            self.use(argument, scope, "set-returning function", False)
        fallback = merge([self.lin(function, scope)])
        names = _alias_columns(alias_node)
        if names:
            return FromItem(alias, [(name, fallback) for name in names])
        return FromItem(alias, [(alias, fallback)], fallback=fallback)


# Select args that never carry column values.
_INERT_ARGS = {"kind", "hint", "locks", "operation_modifiers", "format", "options", "settings"}


_SELECT_HANDLED = {
    "with_",
    "expressions",
    "distinct",
    "from_",
    "joins",
    "where",
    "group",
    "having",
    "qualify",
    "windows",
    "order",
    "limit",
    "offset",
}


_DML_HANDLED: dict[type[exp.Expression], set[str]] = {
    exp.Insert: {"this", "expression", "with_"},
    exp.Update: {"this", "expressions", "from_", "where", "with_"},
    exp.Delete: {"this", "using", "where", "with_"},
}


_GROUPING = (exp.Rollup, exp.Cube, exp.GroupingSets, exp.Tuple)


def _grouping_items(group: exp.Expression) -> list[exp.Expression]:
    """The expressions grouped on, looking inside ROLLUP / CUBE / GROUPING SETS."""
    items = []
    for item in group.find_all(exp.Expression):
        inside = item.parent is group or isinstance(item.parent, _GROUPING)
        if inside and not isinstance(item, _GROUPING):
            items.append(item)
    return items


def _output_name(item: exp.Expression) -> str:
    if isinstance(item, exp.Alias):
        return name_of(item.alias)
    if isinstance(item, exp.Column):
        return name_of(item.this)
    name = item.alias_or_name
    return name.lower() if name else "?column?"


def _rename(cols: Cols, alias: exp.Expression | None) -> Cols:
    names = [name_of(c) for c in alias.columns] if isinstance(alias, exp.TableAlias) and alias.columns else []
    if len(names) > len(cols):
        raise LineageError(f"{len(names)} column aliases given for {len(cols)} columns")
    return [(names[i] if i < len(names) else n, lin) for i, (n, lin) in enumerate(cols)]


def _union_by_position(
    left: Sequence[tuple[str, Lin]], right: Sequence[tuple[str, Lin]], what: str
) -> Cols:
    if len(left) != len(right):
        raise LineageError(f"each {what} query must have the same number of columns")
    return [
        (ln, Lin(ll.sources | rl.sources, ll.direct and rl.direct))
        for (ln, ll), (_, rl) in zip(left, right, strict=True)
    ]


def _alias_columns(alias_node: exp.Expression | None) -> list[str]:
    if isinstance(alias_node, exp.TableAlias) and alias_node.columns:
        return [name_of(c) for c in alias_node.columns]
    return []
