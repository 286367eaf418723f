"""The lineage of a value, and the uses of column values found inside it.

ValueTracer follows an expression down to the columns it reads. Where a value flows into
the result (lineage/flow.py says where it may), its sources join the result's lineage;
where it decides something instead (a condition, an aggregate's input, a window's
partition, a cast, a divisor, a control argument) it is recorded as a ColumnUse. A
subquery inside an expression is walked as a query by the walker this is the base of.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlglot import exp

from pgbridge.sql.lineage.flow import (
    ARITHMETIC,
    EQUALITY_OPS,
    KEYED_ANONYMOUS,
    NAVIGATION,
    SET_RETURNING,
    SYNTAX,
    VALUE_NODES,
    is_text_cast,
    is_total_anonymous,
)
from pgbridge.sql.lineage.model import ColumnUse, LineageError, SchemaLookup
from pgbridge.sql.lineage.scope import (
    EMPTY,
    QUERY_NODES,
    Cols,
    Lin,
    Scope,
    merge,
    name_of,
    ordered_items,
)


class ValueTracer:
    def __init__(self, schema: SchemaLookup) -> None:
        self.schema = schema
        self.uses: list[ColumnUse] = []
        self.tables: set[tuple[str, str]] = set()
        self.visited: set[int] = set()

    def query(self, node: exp.Expression, outer: Scope | None, ctes: dict[str, Cols]) -> Cols:
        raise NotImplementedError  # the walker's: subqueries inside expressions are queries

    def lin(self, node: exp.Expression, scope: Scope) -> Lin:
        """The lineage of a value; records the uses found inside it on the way."""
        if isinstance(node, (exp.Alias, exp.Paren)):
            return self.lin(node.this, scope)
        if isinstance(node, exp.Column):
            return self.column(node, scope)
        if isinstance(node, exp.TableColumn):  # the qualifier's spelling of a whole-row reference
            return self.whole_row(name_of(node.this), scope)
        if isinstance(node, exp.Identifier):
            # A name in a place this walker does not know could be a column: do not guess.
            raise LineageError(
                f"cannot trace the name {node.sql('postgres')} in {node.parent_select or node}"
            )
        if isinstance(node, exp.Subquery) and isinstance(node.this, QUERY_NODES):
            cols = self.query(node.this, scope, scope.ctes)
            return cols[0][1] if len(cols) == 1 else merge(lin for _, lin in cols)
        if isinstance(node, QUERY_NODES):
            return merge(lin for _, lin in self.query(node, scope, scope.ctes))
        if isinstance(node, exp.Star):
            return self.bare_star(node, scope)
        self.value_uses(node, scope)
        if isinstance(node, exp.Count):
            return EMPTY  # a count carries no value of its argument (aggregate() recorded the use)
        return merge(self.lin(child, scope) for child in self.value_children(node))

    def value_children(self, node: exp.Expression) -> list[exp.Expression]:
        if isinstance(node, exp.Window):
            return [node.this]  # PARTITION BY / ORDER BY are uses, recorded by value_uses
        if isinstance(node, (exp.Exists, exp.Filter)):
            return [node.this]  # FILTER (WHERE ...) is a use, recorded by value_uses
        if isinstance(node, exp.Order):  # array_agg(x ORDER BY y): y orders, x flows
            return [node.this] if node.this is not None else []
        return list(node.iter_expressions())

    def value_uses(self, node: exp.Expression, scope: Scope) -> None:
        """Uses hidden inside a returned value: branches, aggregates, windows, casts, divisors,
        control arguments; refuses (LineageError) a node whose semantics it does not know."""
        if isinstance(node, exp.Window):
            self.window_spec(node, scope)
        elif isinstance(node, exp.AggFunc) and not isinstance(node, NAVIGATION):
            self.aggregate(node, scope)
        elif isinstance(node, exp.Order):
            for ordered in ordered_items(node):
                self.use(ordered.this, scope, "ORDER BY", False)
        elif isinstance(node, exp.Filter):
            self.use(node.expression.this, scope, "FILTER (WHERE)", False)
        elif isinstance(node, exp.If):
            self.use(node.this, scope, "CASE WHEN", False)
        elif isinstance(node, exp.Case):
            if node.this:  # CASE x WHEN v: x compared with each v
                self.compare(node.this, [i.this for i in node.args.get("ifs") or []], scope, "CASE")
        elif isinstance(node, exp.Cast):
            if not is_text_cast(node):
                self.use(node.this, scope, "CAST", False)
        elif isinstance(node, (exp.Div, exp.Mod, exp.IntDiv)):
            self.use(node.expression, scope, "divisor", False)
            self.use(node.this, scope, "arithmetic", False)
        elif isinstance(node, (*ARITHMETIC, exp.Neg)):
            # Overflow makes the query fail or not: an answer about the operands' values.
            for operand in node.iter_expressions():
                self.use(operand, scope, "arithmetic", False)
        elif isinstance(node, SET_RETURNING):
            for argument in node.iter_expressions():
                if not isinstance(argument, exp.Array):  # ARRAY[a, b]: as many rows as items
                    self.use(argument, scope, "set-returning function", False)
        else:
            self.other_node(node, scope)

    def other_node(self, node: exp.Expression, scope: Scope) -> None:
        controls = VALUE_NODES.get(type(node))
        if controls is not None:
            for name in controls:
                for argument in _as_list(node.args.get(name)):
                    self.use(argument, scope, f"{node.key.upper()} argument", False)
        elif isinstance(node, SYNTAX) or is_total_anonymous(node):
            return
        elif isinstance(node, exp.Anonymous) and node.name.upper() in KEYED_ANONYMOUS:
            for key in node.expressions[::2]:
                self.use(key, scope, f"{node.name.upper()}() key", False)
        elif isinstance(node, exp.Func):
            # A function the walker does not know may fail, or return more or fewer rows, on
            # some values: a masked value may not reach it (fail closed).
            name = node.name.upper() if isinstance(node, exp.Anonymous) else node.sql_name()
            for argument in node.iter_expressions():
                self.use(argument, scope, f"{name}() argument", False)
        else:
            raise LineageError(
                f"cannot trace {node.key.upper()} ({node.sql('postgres')[:80]}): masking does not "
                "know what it does with a column's value"
            )

    def aggregate(self, node: exp.AggFunc, scope: Scope) -> None:
        if isinstance(node, exp.Count):
            arg = node.this
            if arg is None or isinstance(arg, exp.Star):
                return
            if isinstance(arg, exp.Distinct):
                for item in arg.expressions:
                    self.use(item, scope, "AGGREGATE", True)
                return
            self.use(arg, scope, "AGGREGATE", True)
            return
        children = cast("list[exp.Expression]", list(node.iter_expressions()))
        for child in children:
            self.use(child, scope, "AGGREGATE", False)

    def window_spec(self, node: exp.Expression, scope: Scope) -> None:
        for item in node.args.get("partition_by") or []:
            self.use(item, scope, "PARTITION BY", True)
        for ordered in ordered_items(node.args.get("order")):
            self.use(ordered.this, scope, "window ORDER BY", False)
        if node.args.get("spec"):
            self.use(node.args["spec"], scope, "window frame", False)

    def bare_star(self, node: exp.Star, scope: Scope) -> Lin:
        if isinstance(node.parent, exp.Count):
            return EMPTY
        return merge(lin for _, lin in self.star(node, scope))

    def whole_row(self, alias: str, scope: Scope) -> Lin:
        source = scope.lookup_alias(alias)
        if source is None:
            raise LineageError(f"missing FROM-clause entry for whole-row reference {alias!r}")
        return source.whole_row()

    def column(self, node: exp.Column, scope: Scope) -> Lin:
        if isinstance(node.this, exp.Star):  # row_to_json(t.*), count(t.*)
            return merge(lin for _, lin in self.star(node, scope))
        name = name_of(node.this)
        if not node.table:
            return self.resolve_unqualified(name, scope)
        source = scope.lookup_alias(name_of(node.table))
        if source is None:
            raise LineageError(
                f"missing FROM-clause entry for table {node.table!r} in {node.sql('postgres')}"
            )
        lin = source.column(name)
        if lin is None:
            raise LineageError(f"column {node.table}.{name} does not exist in the traced schema")
        return lin

    def resolve_unqualified(self, name: str, scope: Scope, local_only: bool = False) -> Lin:
        current: Scope | None = scope
        while current is not None:
            lin = _resolve_in(name, current)
            if lin is not None or local_only:
                if lin is None:
                    raise LineageError(f"column {name} named in USING is not on the left side of the join")
                return lin
            current = current.outer
        raise LineageError(f"column {name} does not exist in any table the query reads")

    def star(self, item: exp.Expression, scope: Scope) -> Cols:
        star = item.this if isinstance(item, exp.Column) else item
        if star.args.get("replace") or star.args.get("rename") or star.args.get("ilike"):
            raise LineageError(
                "`* REPLACE`, `* RENAME` and `* ILIKE` cannot be traced; list the columns instead"
            )
        excluded = {name_of(c) for c in star.args.get("except_") or []}
        if isinstance(item, exp.Column) and item.table:
            source = scope.lookup_alias(name_of(item.table))
            if source is None:
                raise LineageError(f"missing FROM-clause entry for table {item.table!r}")
            cols = source.all_columns()
        else:
            merged_names = {n for n, _ in scope.merged}
            cols = list(scope.merged)
            for source in scope.sources.values():
                cols.extend((n, lin) for n, lin in source.all_columns() if n not in merged_names)
        return [(n, lin) for n, lin in cols if n not in excluded]

    def use(
        self,
        node: exp.Expression,
        scope: Scope,
        clause: str,
        equality: bool,
        output_names: bool = False,
        versus: Lin | None = None,
    ) -> None:
        """Record every column value `node` consults, whether only for equality, and with what."""
        if output_names:
            target = _output_reference(node, scope.projection)
            if target is not None:
                self.record(clause, target, equality, node)
                return
        if isinstance(node, (exp.Paren, exp.Alias)):
            self.use(node.this, scope, clause, equality, versus=versus)
        elif isinstance(node, (exp.Column, exp.Subquery, exp.Star, *QUERY_NODES)):
            self.record(clause, self.lin(node, scope), equality, node, versus)
        elif isinstance(node, (exp.And, exp.Or, exp.Not, exp.Xor)):
            for child in node.iter_expressions():
                self.use(child, scope, clause, False)
        elif isinstance(node, EQUALITY_OPS):
            self.compare(node.this, [node.expression], scope, clause)
            self.compare(node.expression, [node.this], scope, clause)
        elif isinstance(node, exp.In):
            others = [*node.expressions, *([node.args["query"]] if node.args.get("query") else [])]
            self.compare(node.this, others, scope, clause)
            for item in others:
                self.compare(item, [node.this], scope, clause)
        elif isinstance(node, exp.Exists):
            self.query(node.this, scope, scope.ctes)  # its rows' existence, not their values
        else:
            self.record(clause, self.lin(node, scope), False, node)

    def compare(self, node: exp.Expression, others: list[exp.Expression], scope: Scope, clause: str) -> None:
        """`node` compared for equality with `others`: an equality use that names its peers."""
        peers = [self.lin(other, scope) for other in others]
        versus = merge(peers, direct=bool(peers) and all(p.direct for p in peers))
        self.use(node, scope, clause, True, versus=versus)

    def record(
        self, clause: str, lin: Lin, equality: bool, node: exp.Expression, versus: Lin | None = None
    ) -> None:
        if lin.sources:
            sql = node.sql("postgres")[:120]
            peers, peers_direct = (versus.sources, versus.direct) if versus is not None else (None, False)
            use = ColumnUse(clause, lin.sources, equality and lin.direct, sql, peers, peers_direct)
            self.uses.append(use)

    def check_all_visited(self, ast: exp.Expression) -> None:
        for node in ast.find_all(exp.Select):
            if id(node) not in self.visited:
                raise LineageError(f"cannot trace the subquery {node.sql('postgres')[:80]}")


def _resolve_in(name: str, scope: Scope) -> Lin | None:
    for merged_name, lin in scope.merged:
        if merged_name == name:
            return lin
    sure = [s for s in scope.sources.values() if s.known(name)]
    maybe = [s for s in scope.sources.values() if s.known(name) is None]
    if len(sure) == 1:
        return sure[0].column(name)
    if len(sure) > 1:
        return merge(_present(s.column(name) for s in sure))
    if name in scope.sources and not maybe:
        return scope.sources[name].whole_row()  # SELECT u FROM t u: the whole row
    if maybe:
        lins = _present(s.column(name) for s in maybe)
        if name in scope.sources:
            lins.append(scope.sources[name].whole_row())
        return lins[0] if len(lins) == 1 else merge(lins)
    return None


def _present(lins: Iterable[Lin | None]) -> list[Lin]:
    return [lin for lin in lins if lin is not None]


def _output_reference(node: exp.Expression, projection: Cols) -> Lin | None:
    """ORDER BY 2 / GROUP BY alias: a reference to an output column, as PostgreSQL reads it."""
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        index = int(node.this) - 1
        if not 0 <= index < len(projection):
            raise LineageError(f"position {node.this} is not in the select list")
        return projection[index][1]
    if isinstance(node, exp.Column) and not node.table:
        matches = [lin for n, lin in projection if n == name_of(node.this)]
        if matches:
            return merge(matches, direct=all(m.direct for m in matches)) if len(matches) > 1 else matches[0]
    return None


def _as_list(value: object) -> list[exp.Expression]:
    if isinstance(value, exp.Expression):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, exp.Expression)]
    return []
