"""Column lineage: which warehouse columns each output column derives from, and how.

Masking decides per output column from this (DESIGN.md, "Masking"), so it must be right
for every query shape a client can send, and must say so when it cannot tell. sqlglot's own
`lineage()` misses whole-row references (`SELECT u FROM t u`, `row_to_json(u)`) and tables
missing from the schema, so this is a small scope walker of its own over the sqlglot AST:

- every FROM item becomes a `_Source` whose columns carry a `_Lin` (source columns + whether
  the value is a source's value unchanged); queries nest as scopes with an outer link
  (correlated subqueries, LATERAL), CTEs as named column lists (recursive ones to a fixpoint);
- every place a value is *used* rather than returned (WHERE, JOIN, GROUP BY, ORDER BY,
  windows, aggregates, CASE conditions, casts, divisors, DISTINCT and set operations) is
  recorded as a `ColumnUse`, so the masking guard can refuse inference (`WHERE ssn LIKE '1%'`);
  so are the ways a value steers a result without being returned: the arguments of a
  set-returning function in FROM and of UNNEST (their row count: `count(*) FROM
  generate_series(1, strpos(ssn, '8'))` returns a digit's position) and arithmetic, whose
  overflow error or success answers a comparison (`strpos(ssn, '8') + 9223372036854775800`),
  as do the control arguments of functions that fail on some values (`ntile(strpos(ssn, '8') - 8)`,
  a regular expression, a JSON path, an array subscript, a to_char format), FILTER (WHERE ...),
  and set-returning calls in the select list;
- fail closed on what it does not know: a value may flow only through the functions and
  operators listed in `_VALUE_NODES` / `_SYNTAX` (known not to fail, with their control
  arguments named); every argument of any other function is a use (so a masked value cannot
  reach it), and any other node raises `LineageError`. Every SELECT in the tree must have been
  visited, so an unhandled construct cannot hide a subquery;
- DML (INSERT ... SELECT / VALUES, UPDATE ... SET [FROM], DELETE [USING]): the values written,
  by target column, and the uses in WHERE (the command tag's row count answers it).

The walker knows nothing about masking rules: it reports sources and uses; pgbridge.masking
decides. Names compare case-insensitively (BigQuery column names are).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlglot import exp

from pgbridge.backends.base import Field

SchemaLookup = Callable[[str, str], "tuple[Field, ...] | None"]


class LineageError(Exception):
    """The lineage of some output column (or a use of a column) cannot be determined."""


@dataclass(frozen=True, slots=True, order=True)
class SourceColumn:
    dataset: str  # "" when the table reached us without a dataset (matches any dataset)
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.dataset or '?'}.{self.table}.{self.column}"


@dataclass(frozen=True, slots=True)
class ColumnLineage:
    """One output column: where its value comes from and whether it is passed through as is."""

    name: str
    sources: frozenset[SourceColumn]
    direct: bool  # the value is one source's value unchanged (alias, subquery, set op, USING)


@dataclass(frozen=True, slots=True)
class ColumnUse:
    """A value used to decide something rather than returned (a possible inference channel)."""

    clause: str  # "WHERE", "JOIN ON", "GROUP BY", "ORDER BY", "AGGREGATE", "CAST", ...
    sources: frozenset[SourceColumn]
    equality: bool  # only compared for equality / grouped, on the unchanged value
    sql: str  # the expression, for error messages
    # For an equality comparison (=, IN, CASE x WHEN, JOIN USING): the sources of what the value
    # is compared with (empty: a constant or a parameter) and whether that is a column's value
    # unchanged. None: grouped rather than compared (GROUP BY, DISTINCT, count, set operations).
    versus: frozenset[SourceColumn] | None = None
    versus_direct: bool = False


@dataclass(frozen=True, slots=True)
class Analysis:
    columns: tuple[ColumnLineage, ...]
    uses: tuple[ColumnUse, ...]
    tables: frozenset[tuple[str, str]]  # warehouse (dataset, table) pairs the statement reads
    # DML: the values written, named by target column (INSERT ... SELECT, UPDATE ... SET). A
    # masked value written into a table would be readable there unmasked.
    writes: tuple[ColumnLineage, ...] = ()


@dataclass(frozen=True, slots=True)
class _Lin:
    sources: frozenset[SourceColumn] = frozenset()
    direct: bool = False


_EMPTY = _Lin()
_Cols = list[tuple[str, _Lin]]
_TEXT_TYPES = {
    exp.DataType.Type.TEXT,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.CHAR,
    exp.DataType.Type.NCHAR,
    exp.DataType.Type.NVARCHAR,
    exp.DataType.Type.NAME,
}  # not JSON: parsing text as JSON fails on some values
# Window functions that return a row's value as is (redacted downstream), not aggregates.
_NAVIGATION = (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)
_EQUALITY_OPS = (exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.NullSafeNEQ)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Pow, exp.BitwiseLeftShift, exp.BitwiseRightShift)
# Functions whose value a masked input may flow into (the result is then redacted), mapped to
# the arguments that steer them rather than flow into their value. Those control arguments can
# make the function fail on some values (a negative length, part 0, ntile(0), an unknown time
# zone, ln(0), an invalid regular expression or LIKE pattern, a JSON path, an array subscript):
# whether the query fails would answer a question about a masked value, so they are uses.
# A function missing here may fail, or change the row count, on some values: every argument of
# it is a use (fail closed); an unknown node that is not a function cannot be traced at all.
_VALUE_NODES: dict[type[exp.Expression], tuple[str, ...]] = {
    exp.Substring: ("start", "length"),
    exp.Left: ("expression",),
    exp.Right: ("expression",),
    exp.Repeat: ("times",),
    exp.Pad: ("expression", "fill_pattern"),
    exp.SplitPart: ("delimiter", "part_index"),
    exp.Round: ("decimals",),
    exp.Lag: ("offset", "default"),
    exp.Lead: ("offset", "default"),
    exp.NthValue: ("offset",),
    exp.FirstValue: (),
    exp.LastValue: (),
    exp.Ntile: ("this",),
    exp.AtTimeZone: ("zone",),
    exp.Sqrt: ("this",),
    exp.Exp: ("this",),
    exp.Ln: ("this",),
    exp.Log: ("this", "expression"),
    # patterns and paths
    exp.Like: ("expression",),
    exp.Escape: ("expression",),
    exp.ILike: ("expression",),
    exp.SimilarTo: ("expression",),
    exp.RegexpLike: ("expression", "flag"),
    exp.RegexpILike: ("expression", "flag"),
    exp.JSONExtract: ("expression", "expressions"),
    exp.JSONExtractScalar: ("expression", "expressions"),
    exp.JSONBExtract: ("expression",),
    exp.JSONBExtractScalar: ("expression",),
    exp.JSONKeyValue: ("this",),  # a NULL or repeated key fails
    exp.Bracket: ("expressions",),
    exp.ArraySize: ("expression",),
    # formats and units of the session-time-zone functions
    exp.TimeToStr: ("format", "zone", "culture"),
    exp.ToChar: ("format", "nlsparam"),
    exp.DateTrunc: ("unit", "zone"),
    exp.TimestampTrunc: ("unit", "zone"),
    exp.Extract: ("this",),
    exp.Interval: ("this", "unit"),  # parsing the text of an interval fails on some values
    exp.StrPosition: ("position", "occurrence"),
    exp.SHA2: ("length",),
    # total: no value of the right type makes them fail
    exp.Lower: (),
    exp.Upper: (),
    exp.Length: (),
    exp.BitLength: (),
    exp.Concat: (),
    exp.ConcatWs: (),
    exp.Reverse: (),
    exp.Initcap: (),
    exp.Trim: (),
    exp.Replace: (),
    exp.Translate: (),
    exp.MD5: (),
    exp.SHA: (),
    exp.StartsWith: (),
    exp.Ascii: (),
    exp.Coalesce: (),
    exp.Nullif: (),
    exp.Greatest: (),
    exp.Least: (),
    exp.Array: (),
    exp.ArrayConcat: (),
    exp.ArrayToString: (),
    exp.ArrayContains: (),
    exp.JSONBContains: (),
    exp.JSONObject: (),
    exp.Struct: (),
}
# Anonymous calls the walker knows to be total: whole-row and value-to-JSON conversions.
_TOTAL_ANONYMOUS = {"ROW_TO_JSON", "TO_JSON", "TO_JSONB", "TO_JSON_STRING", "CARDINALITY"}
# json_build_object(key, value, ...): a NULL key fails, so keys are uses; values flow.
_KEYED_ANONYMOUS = {"JSON_BUILD_OBJECT", "JSONB_BUILD_OBJECT"}
# Syntax (not functions) whose value is its operands' values, compared or combined without
# failing. Anything else that is not a function raises LineageError.
_SYNTAX: tuple[type[exp.Expression], ...] = (
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Placeholder,
    exp.Parameter,
    exp.Var,
    exp.DataType,
    exp.Tuple,
    exp.Distinct,
    exp.Ordered,
    exp.WindowSpec,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.Is,
    exp.In,
    exp.Between,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Xor,
    exp.Any,
    exp.All,
    exp.DPipe,
    exp.Exists,
    exp.JSONPath,
    exp.JSONPathPart,
    exp.WithinGroup,
    exp.IgnoreNulls,
    exp.RespectNulls,
    exp.Slice,
    exp.Limit,
    exp.Offset,
    exp.Fetch,
    exp.LimitOptions,
    exp.DataTypeParam,
    exp.BitwiseAnd,
    exp.BitwiseOr,
    exp.BitwiseXor,
    exp.BitwiseNot,
)
# Set-returning functions in the select list: how many rows come back depends on their
# arguments (an ARRAY[...] constructor has as many rows as items, whatever their values).
_SET_RETURNING = (exp.Explode, exp.GenerateSeries, exp.Unnest)
_QUERY_NODES = (exp.Select, exp.SetOperation)
# Select args that never carry column values.
_INERT_ARGS = {"kind", "hint", "locks", "operation_modifiers", "format", "options", "settings"}


def _merge(lins: Iterable[_Lin], direct: bool = False) -> _Lin:
    sources: frozenset[SourceColumn] = frozenset().union(*(lin.sources for lin in lins))
    return _Lin(sources, direct)


def _name(identifier: exp.Expression | str | None) -> str:
    if isinstance(identifier, exp.Expression):
        return identifier.name.lower()
    return (identifier or "").lower()


@dataclass
class _Source:
    """One FROM item, as the enclosing SELECT sees it."""

    alias: str
    columns: _Cols | None  # None: a table the schema does not know
    table: tuple[str, str] | None = None  # for unknown tables: columns are still nameable
    fallback: _Lin | None = None  # table functions: any column derives from the arguments

    def column(self, name: str) -> _Lin | None:
        if self.columns is not None:
            return next((lin for n, lin in self.columns if n == name), None)
        if self.table is not None:
            return _Lin(frozenset({SourceColumn(*self.table, name)}), True)
        return self.fallback

    def known(self, name: str) -> bool | None:
        """True/False when this source's columns are known; None when it might have any name."""
        if self.columns is None:
            return None
        return any(n == name for n, _ in self.columns)

    def all_columns(self) -> _Cols:
        if self.columns is None:
            what = ".".join(self.table) if self.table else self.alias
            raise LineageError(
                f"the columns of {what} are unknown, so `*` or a whole-row reference to it cannot be traced"
            )
        return self.columns

    def whole_row(self) -> _Lin:
        return _merge(lin for _, lin in self.all_columns())


@dataclass
class _Scope:
    sources: dict[str, _Source] = field(default_factory=dict)
    outer: _Scope | None = None
    ctes: dict[str, _Cols] = field(default_factory=dict)
    merged: _Cols = field(default_factory=list)  # JOIN USING / NATURAL columns, in order
    projection: _Cols = field(default_factory=list)  # for ORDER BY / GROUP BY output names

    def add(self, source: _Source) -> None:
        if source.alias in self.sources:
            raise LineageError(f"table name {source.alias!r} is specified more than once")
        self.sources[source.alias] = source

    def lookup_alias(self, alias: str) -> _Source | None:
        scope: _Scope | None = self
        while scope is not None:
            if alias in scope.sources:
                return scope.sources[alias]
            scope = scope.outer
        return None


def output_lineage(ast: exp.Expr, schema: SchemaLookup) -> list[ColumnLineage]:
    """Per output column of a query: its source columns and whether it is a pass-through."""
    return list(analyze(ast, schema).columns)


def analyze(ast: exp.Expr, schema: SchemaLookup) -> Analysis:
    """Lineage of the output columns plus every use of a column outside the output."""
    walker = _Walker(schema)
    if isinstance(ast, (exp.Insert, exp.Update, exp.Delete)):
        writes = walker.dml(ast)
        walker.check_all_visited(ast)
        written = tuple(ColumnLineage(name, lin.sources, lin.direct) for name, lin in writes)
        return Analysis((), tuple(walker.uses), frozenset(walker.tables), written)
    if not isinstance(ast, (*_QUERY_NODES, exp.Subquery, exp.Values)):
        kind = ast.key.upper() if isinstance(ast, exp.Expression) else type(ast).__name__
        raise LineageError(f"{kind} is not a statement whose output can be traced")
    cols = walker.query(ast, None, {})
    walker.check_all_visited(ast)
    columns = tuple(ColumnLineage(name, lin.sources, lin.direct) for name, lin in cols)
    return Analysis(columns, tuple(walker.uses), frozenset(walker.tables))


class _Walker:
    def __init__(self, schema: SchemaLookup) -> None:
        self.schema = schema
        self.uses: list[ColumnUse] = []
        self.tables: set[tuple[str, str]] = set()
        self.visited: set[int] = set()

    # ---- queries -------------------------------------------------------------------------

    def query(self, node: exp.Expression, outer: _Scope | None, ctes: dict[str, _Cols]) -> _Cols:
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
        self, node: exp.Expression, outer: _Scope | None, ctes: dict[str, _Cols]
    ) -> dict[str, _Cols]:
        with_ = node.args.get("with_")
        if not with_:
            return ctes
        ctes = dict(ctes)
        for cte in with_.expressions:
            ctes[_name(cte.alias)] = self.cte(cte, outer, ctes, bool(with_.args.get("recursive")))
        return ctes

    def cte(self, cte: exp.CTE, outer: _Scope | None, ctes: dict[str, _Cols], recursive: bool) -> _Cols:
        name = _name(cte.alias)
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

    # ---- DML -----------------------------------------------------------------------------

    def dml(self, node: exp.Expression) -> _Cols:
        """The values an INSERT / UPDATE writes; the uses in its WHERE (the command tag's row
        count answers it); anything beyond plain INSERT ... SELECT / VALUES, UPDATE ... SET
        [FROM] [WHERE] and DELETE [USING] [WHERE] (RETURNING, ON CONFLICT ...) is untraceable."""
        unknown = [k for k, v in node.args.items() if v and k not in _DML_HANDLED[type(node)]]
        if unknown:
            raise LineageError(f"cannot trace this {node.key.upper()}: it uses {unknown[0].upper()}")
        ctes = self.with_clause(node, None, {})
        if isinstance(node, exp.Insert):
            return self.insert(node, ctes)
        scope = _Scope(ctes=ctes)
        scope.add(self.source(node.this, scope))
        extra = [node.args["from_"].this] if node.args.get("from_") else node.args.get("using") or []
        for item in extra:
            scope.add(self.source(item, scope))
        if node.args.get("where"):
            self.use(node.args["where"].this, scope, "WHERE", False)
        if isinstance(node, exp.Update):
            return [self.assignment(eq, scope) for eq in node.expressions]
        return []

    def assignment(self, eq: exp.Expression, scope: _Scope) -> tuple[str, _Lin]:
        if not isinstance(eq, exp.EQ) or not isinstance(eq.this, exp.Column):
            raise LineageError(f"cannot trace the assignment {eq.sql('postgres')[:80]}")
        return _name(eq.this.this), self.lin(eq.expression, scope)

    def insert(self, node: exp.Insert, ctes: dict[str, _Cols]) -> _Cols:
        target = node.this
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table):
            raise LineageError(f"cannot trace the INSERT target {target.sql('postgres')[:80]}")
        self.tables.add((_name(table.args.get("db")), _name(table.this)))
        if node.expression is None:
            raise LineageError("cannot trace an INSERT without a query or VALUES")
        cols = self.query(node.expression, None, ctes)
        names = [_name(c) for c in target.expressions] if isinstance(target, exp.Schema) else []
        return [(names[i] if i < len(names) else n, lin) for i, (n, lin) in enumerate(cols)]

    def set_operation(self, node: exp.SetOperation, outer: _Scope | None, ctes: dict[str, _Cols]) -> _Cols:
        self.visited.add(id(node))
        left = self.query(node.this, outer, ctes)
        right = self.query(node.expression, outer, ctes)
        cols = _union_by_position(left, right, node.key.upper())
        if not isinstance(node, exp.Union) or node.args.get("distinct"):
            # INTERSECT, EXCEPT and UNION DISTINCT compare rows for equality.
            for lin in [*(lin for _, lin in left), *(lin for _, lin in right)]:
                self.record(node.key.upper(), lin, True, node)
        scope = _Scope(outer=outer, projection=cols)
        for ordered in _ordered(node.args.get("order")):
            self.use(ordered.this, scope, "ORDER BY", False, output_names=True)
        for key in ("limit", "offset"):
            if node.args.get(key):
                self.use(node.args[key], scope, key.upper(), False)
        return cols

    def values(self, node: exp.Values, outer: _Scope | None) -> _Cols:
        scope = _Scope(outer=outer)
        rows = [row.expressions if isinstance(row, exp.Tuple) else [row] for row in node.expressions]
        width = len(rows[0]) if rows else 0
        if any(len(row) != width for row in rows):
            raise LineageError("VALUES lists must all be the same length")
        cols = [(f"column{i + 1}", _merge(self.lin(row[i], scope) for row in rows)) for i in range(width)]
        return _rename(cols, node.args.get("alias"))

    def select(self, node: exp.Select, outer: _Scope | None, ctes: dict[str, _Cols]) -> _Cols:
        self.visited.add(id(node))
        unknown = [k for k, v in node.args.items() if v and k not in _SELECT_HANDLED | _INERT_ARGS]
        if unknown:
            raise LineageError(f"cannot trace a query using {unknown[0].upper()}")
        scope = _Scope(outer=outer, ctes=ctes)
        if node.args.get("from_"):
            self.from_item(node.args["from_"].this, scope)
        for join in node.args.get("joins") or []:
            self.join(join, scope)
        scope.projection = self.projection(node, scope)
        self.clauses(node, scope)
        return scope.projection

    def projection(self, node: exp.Select, scope: _Scope) -> _Cols:
        cols: _Cols = []
        for item in node.expressions:
            if isinstance(item, exp.Star) or (
                isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
            ):
                cols.extend(self.star(item, scope))
            else:
                cols.append((_output_name(item), self.lin(item, scope)))
        return cols

    def clauses(self, node: exp.Select, scope: _Scope) -> None:
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
        for ordered in _ordered(node.args.get("order")):
            self.use(ordered.this, scope, "ORDER BY", False, output_names=True)
        for key in ("limit", "offset"):
            if node.args.get(key):
                self.use(node.args[key], scope, key.upper(), False)

    def distinct(self, distinct: exp.Distinct, scope: _Scope) -> None:
        on = distinct.args.get("on")
        if on is not None:
            for item in on.expressions if isinstance(on, exp.Tuple) else [on]:
                self.use(item, scope, "DISTINCT ON", True, output_names=True)
            return
        # DISTINCT compares whole output rows: an equality use of every output column.
        for _, lin in scope.projection:
            self.record("DISTINCT", lin, True, distinct)

    # ---- FROM ----------------------------------------------------------------------------

    def from_item(self, item: exp.Expression, scope: _Scope) -> None:
        scope.add(self.source(item, scope))

    def join(self, join: exp.Join, scope: _Scope) -> None:
        source = self.source(join.this, scope)
        using = [_name(i) for i in join.args.get("using") or []]
        if (join.args.get("method") or "").upper() == "NATURAL":
            right = {n for n, _ in source.all_columns()}
            using = [n for s in scope.sources.values() for n, _ in s.all_columns() if n in right]
        if using:
            self.merge_using(using, source, scope, join)
        scope.add(source)
        if join.args.get("on"):
            self.use(join.args["on"], scope, "JOIN ON", False)

    def merge_using(self, using: list[str], right: _Source, scope: _Scope, join: exp.Join) -> None:
        for name in using:
            left = self.resolve_unqualified(name, scope, local_only=True)
            right_lin = right.column(name)
            if right_lin is None:
                raise LineageError(f"column {name} named in USING is not in {right.alias}")
            merged = _merge([left, right_lin], direct=True)
            self.record("JOIN USING", left, True, join, right_lin)
            self.record("JOIN USING", right_lin, True, join, left)
            scope.merged = [(n, lin) for n, lin in scope.merged if n != name] + [(name, merged)]

    def source(self, item: exp.Expression, scope: _Scope) -> _Source:
        if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            return self.table(item, scope)
        alias_node = item.args.get("alias")
        alias = _name(alias_node.this if alias_node else None)
        lateral = _Scope(sources=dict(scope.sources), outer=scope.outer, ctes=scope.ctes, merged=scope.merged)
        if isinstance(item, exp.Lateral):
            return self.lateral(item, lateral, alias)
        if isinstance(item, exp.Subquery):
            cols = _rename(self.query(item.this, scope.outer, scope.ctes), alias_node)
            return _Source(alias, cols)
        if isinstance(item, exp.Unnest):
            return self.unnest(item, lateral, alias)
        if isinstance(item, exp.Values):
            return _Source(alias, self.values(item, scope.outer))
        if isinstance(item, exp.Table):  # a table function: generate_series(...), unnest(...)
            return self.table_function(item.this, item.args.get("alias"), lateral, alias)
        raise LineageError(f"cannot trace FROM item {item.sql('postgres')[:80]}")

    def table(self, item: exp.Table, scope: _Scope) -> _Source:
        if item.args.get("joins") or item.args.get("laterals") or item.args.get("pivots"):
            raise LineageError(f"cannot trace FROM item {item.sql('postgres')[:80]}")
        name, dataset = _name(item.this), _name(item.args.get("db"))
        alias = _name(item.alias) or name
        if not dataset and name in scope.ctes:
            return _Source(alias, _rename(scope.ctes[name], item.args.get("alias")))
        self.tables.add((dataset, name))
        fields = self.schema(dataset, name) if dataset else None
        if fields is None:
            return _Source(alias, None, table=(dataset, name))
        cols = [
            (f.name.lower(), _Lin(frozenset({SourceColumn(dataset, name, f.name.lower())}), True))
            for f in fields
        ]
        return _Source(alias, _rename(cols, item.args.get("alias")))

    def lateral(self, item: exp.Lateral, scope: _Scope, alias: str) -> _Source:
        inner, alias_node = item.this, item.args.get("alias")
        if isinstance(inner, exp.Unnest):  # CROSS JOIN LATERAL unnest(...) AS t(x)
            return self.unnest(inner, scope, alias, alias_node or inner.args.get("alias"))
        if isinstance(inner, exp.Func) and not isinstance(inner, _QUERY_NODES):
            function = cast("exp.Expression", inner)
            return self.table_function(function, alias_node, scope, alias)  # LATERAL generate_series()
        return _Source(alias, _rename(self.query(inner, scope, scope.ctes), alias_node))

    def unnest(
        self, item: exp.Unnest, scope: _Scope, alias: str, alias_node: exp.Expression | None = None
    ) -> _Source:
        for array in item.expressions:
            if not isinstance(array, exp.Array):  # ARRAY[a, b] has as many rows as it has items
                self.use(array, scope, "UNNEST", False)
        lins = [_merge([self.lin(e, scope)]) for e in item.expressions]
        names = _alias_columns(alias_node or item.args.get("alias"))
        if not names:
            names = [alias or "unnest"] if len(lins) == 1 else [f"unnest{i}" for i in range(len(lins))]
        cols = list(zip(names, lins, strict=False))
        if item.args.get("offset"):
            offset = item.args["offset"]
            cols.append((_name(offset) if isinstance(offset, exp.Expression) else "offset", _EMPTY))
        if len(cols) != len(names) and len(names) > len(lins):
            cols.extend((n, _EMPTY) for n in names[len(cols) :])  # WITH ORDINALITY column
        return _Source(alias or names[0], cols)

    def table_function(
        self, function: exp.Expression, alias_node: exp.Expression | None, scope: _Scope, alias: str
    ) -> _Source:
        # How many rows it returns depends on its arguments' values: a use, not only a source.
        for argument in function.iter_expressions():
            self.use(argument, scope, "set-returning function", False)
        fallback = _merge([self.lin(function, scope)])
        names = _alias_columns(alias_node)
        if names:
            return _Source(alias, [(name, fallback) for name in names])
        return _Source(alias, [(alias, fallback)], fallback=fallback)

    def star(self, item: exp.Expression, scope: _Scope) -> _Cols:
        star = item.this if isinstance(item, exp.Column) else item
        if star.args.get("replace") or star.args.get("rename") or star.args.get("ilike"):
            raise LineageError(
                "`* REPLACE`, `* RENAME` and `* ILIKE` cannot be traced; list the columns instead"
            )
        excluded = {_name(c) for c in star.args.get("except_") or []}
        if isinstance(item, exp.Column) and item.table:
            source = scope.lookup_alias(_name(item.table))
            if source is None:
                raise LineageError(f"missing FROM-clause entry for table {item.table!r}")
            cols = source.all_columns()
        else:
            merged_names = {n for n, _ in scope.merged}
            cols = list(scope.merged)
            for source in scope.sources.values():
                cols.extend((n, lin) for n, lin in source.all_columns() if n not in merged_names)
        return [(n, lin) for n, lin in cols if n not in excluded]

    # ---- expressions ---------------------------------------------------------------------

    def lin(self, node: exp.Expression, scope: _Scope) -> _Lin:
        """The lineage of a value; records the uses found inside it on the way."""
        if isinstance(node, (exp.Alias, exp.Paren)):
            return self.lin(node.this, scope)
        if isinstance(node, exp.Column):
            return self.column(node, scope)
        if isinstance(node, exp.TableColumn):  # the qualifier's spelling of a whole-row reference
            return self.whole_row(_name(node.this), scope)
        if isinstance(node, exp.Identifier):
            # A name in a place this walker does not know could be a column: do not guess.
            raise LineageError(
                f"cannot trace the name {node.sql('postgres')} in {node.parent_select or node}"
            )
        if isinstance(node, exp.Subquery) and isinstance(node.this, _QUERY_NODES):
            cols = self.query(node.this, scope, scope.ctes)
            return cols[0][1] if len(cols) == 1 else _merge(lin for _, lin in cols)
        if isinstance(node, _QUERY_NODES):
            return _merge(lin for _, lin in self.query(node, scope, scope.ctes))
        if isinstance(node, exp.Star):
            return self.bare_star(node, scope)
        self.value_uses(node, scope)
        if isinstance(node, exp.Count):
            return _EMPTY  # a count carries no value of its argument (aggregate() recorded the use)
        return _merge(self.lin(child, scope) for child in self.value_children(node))

    def value_children(self, node: exp.Expression) -> list[exp.Expression]:
        if isinstance(node, exp.Window):
            return [node.this]  # PARTITION BY / ORDER BY are uses, recorded by value_uses
        if isinstance(node, (exp.Exists, exp.Filter)):
            return [node.this]  # FILTER (WHERE ...) is a use, recorded by value_uses
        if isinstance(node, exp.Order):  # array_agg(x ORDER BY y): y orders, x flows
            return [node.this] if node.this is not None else []
        return list(node.iter_expressions())

    def value_uses(self, node: exp.Expression, scope: _Scope) -> None:
        """Uses hidden inside a returned value: branches, aggregates, windows, casts, divisors,
        control arguments; refuses (LineageError) a node whose semantics it does not know."""
        if isinstance(node, exp.Window):
            self.window_spec(node, scope)
        elif isinstance(node, exp.AggFunc) and not isinstance(node, _NAVIGATION):
            self.aggregate(node, scope)
        elif isinstance(node, exp.Order):
            for ordered in _ordered(node):
                self.use(ordered.this, scope, "ORDER BY", False)
        elif isinstance(node, exp.Filter):
            self.use(node.expression.this, scope, "FILTER (WHERE)", False)
        elif isinstance(node, exp.If):
            self.use(node.this, scope, "CASE WHEN", False)
        elif isinstance(node, exp.Case):
            if node.this:  # CASE x WHEN v: x compared with each v
                self.compare(node.this, [i.this for i in node.args.get("ifs") or []], scope, "CASE")
        elif isinstance(node, exp.Cast):
            if not _is_text_cast(node):
                self.use(node.this, scope, "CAST", False)
        elif isinstance(node, (exp.Div, exp.Mod, exp.IntDiv)):
            self.use(node.expression, scope, "divisor", False)
            self.use(node.this, scope, "arithmetic", False)
        elif isinstance(node, (*_ARITHMETIC, exp.Neg)):
            # Overflow makes the query fail or not: an answer about the operands' values.
            for operand in node.iter_expressions():
                self.use(operand, scope, "arithmetic", False)
        elif isinstance(node, _SET_RETURNING):
            for argument in node.iter_expressions():
                if not isinstance(argument, exp.Array):  # ARRAY[a, b]: as many rows as items
                    self.use(argument, scope, "set-returning function", False)
        else:
            self.other_node(node, scope)

    def other_node(self, node: exp.Expression, scope: _Scope) -> None:
        controls = _VALUE_NODES.get(type(node))
        if controls is not None:
            for name in controls:
                for argument in _as_list(node.args.get(name)):
                    self.use(argument, scope, f"{node.key.upper()} argument", False)
        elif isinstance(node, _SYNTAX) or _total_anonymous(node):
            return
        elif isinstance(node, exp.Anonymous) and node.name.upper() in _KEYED_ANONYMOUS:
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

    def aggregate(self, node: exp.AggFunc, scope: _Scope) -> None:
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

    def window_spec(self, node: exp.Expression, scope: _Scope) -> None:
        for item in node.args.get("partition_by") or []:
            self.use(item, scope, "PARTITION BY", True)
        for ordered in _ordered(node.args.get("order")):
            self.use(ordered.this, scope, "window ORDER BY", False)
        if node.args.get("spec"):
            self.use(node.args["spec"], scope, "window frame", False)

    def bare_star(self, node: exp.Star, scope: _Scope) -> _Lin:
        if isinstance(node.parent, exp.Count):
            return _EMPTY
        return _merge(lin for _, lin in self.star(node, scope))

    def whole_row(self, alias: str, scope: _Scope) -> _Lin:
        source = scope.lookup_alias(alias)
        if source is None:
            raise LineageError(f"missing FROM-clause entry for whole-row reference {alias!r}")
        return source.whole_row()

    def column(self, node: exp.Column, scope: _Scope) -> _Lin:
        if isinstance(node.this, exp.Star):  # row_to_json(t.*), count(t.*)
            return _merge(lin for _, lin in self.star(node, scope))
        name = _name(node.this)
        if not node.table:
            return self.resolve_unqualified(name, scope)
        source = scope.lookup_alias(_name(node.table))
        if source is None:
            raise LineageError(
                f"missing FROM-clause entry for table {node.table!r} in {node.sql('postgres')}"
            )
        lin = source.column(name)
        if lin is None:
            raise LineageError(f"column {node.table}.{name} does not exist in the traced schema")
        return lin

    def resolve_unqualified(self, name: str, scope: _Scope, local_only: bool = False) -> _Lin:
        current: _Scope | None = scope
        while current is not None:
            lin = _resolve_in(name, current)
            if lin is not None or local_only:
                if lin is None:
                    raise LineageError(f"column {name} named in USING is not on the left side of the join")
                return lin
            current = current.outer
        raise LineageError(f"column {name} does not exist in any table the query reads")

    # ---- uses ----------------------------------------------------------------------------

    def use(
        self,
        node: exp.Expression,
        scope: _Scope,
        clause: str,
        equality: bool,
        output_names: bool = False,
        versus: _Lin | None = None,
    ) -> None:
        """Record every column value `node` consults, whether only for equality, and with what."""
        if output_names:
            target = _output_reference(node, scope.projection)
            if target is not None:
                self.record(clause, target, equality, node)
                return
        if isinstance(node, (exp.Paren, exp.Alias)):
            self.use(node.this, scope, clause, equality, versus=versus)
        elif isinstance(node, (exp.Column, exp.Subquery, exp.Star, *_QUERY_NODES)):
            self.record(clause, self.lin(node, scope), equality, node, versus)
        elif isinstance(node, (exp.And, exp.Or, exp.Not, exp.Xor)):
            for child in node.iter_expressions():
                self.use(child, scope, clause, False)
        elif isinstance(node, _EQUALITY_OPS):
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

    def compare(self, node: exp.Expression, others: list[exp.Expression], scope: _Scope, clause: str) -> None:
        """`node` compared for equality with `others`: an equality use that names its peers."""
        peers = [self.lin(other, scope) for other in others]
        versus = _merge(peers, direct=bool(peers) and all(p.direct for p in peers))
        self.use(node, scope, clause, True, versus=versus)

    def record(
        self, clause: str, lin: _Lin, equality: bool, node: exp.Expression, versus: _Lin | None = None
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


def _resolve_in(name: str, scope: _Scope) -> _Lin | None:
    for merged_name, lin in scope.merged:
        if merged_name == name:
            return lin
    sure = [s for s in scope.sources.values() if s.known(name)]
    maybe = [s for s in scope.sources.values() if s.known(name) is None]
    if len(sure) == 1:
        return sure[0].column(name)
    if len(sure) > 1:
        return _merge(_present(s.column(name) for s in sure))
    if name in scope.sources and not maybe:
        return scope.sources[name].whole_row()  # SELECT u FROM t u: the whole row
    if maybe:
        lins = _present(s.column(name) for s in maybe)
        if name in scope.sources:
            lins.append(scope.sources[name].whole_row())
        return lins[0] if len(lins) == 1 else _merge(lins)
    return None


def _present(lins: Iterable[_Lin | None]) -> list[_Lin]:
    return [lin for lin in lins if lin is not None]


def _output_reference(node: exp.Expression, projection: _Cols) -> _Lin | None:
    """ORDER BY 2 / GROUP BY alias: a reference to an output column, as PostgreSQL reads it."""
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        index = int(node.this) - 1
        if not 0 <= index < len(projection):
            raise LineageError(f"position {node.this} is not in the select list")
        return projection[index][1]
    if isinstance(node, exp.Column) and not node.table:
        matches = [lin for n, lin in projection if n == _name(node.this)]
        if matches:
            return _merge(matches, direct=all(m.direct for m in matches)) if len(matches) > 1 else matches[0]
    return None


_GROUPING = (exp.Rollup, exp.Cube, exp.GroupingSets, exp.Tuple)


def _grouping_items(group: exp.Expression) -> list[exp.Expression]:
    """The expressions grouped on, looking inside ROLLUP / CUBE / GROUPING SETS."""
    items = []
    for item in group.find_all(exp.Expression):
        inside = item.parent is group or isinstance(item.parent, _GROUPING)
        if inside and not isinstance(item, _GROUPING):
            items.append(item)
    return items


def _ordered(order: exp.Expression | None) -> list[exp.Ordered]:
    if order is None:
        return []
    return [o if isinstance(o, exp.Ordered) else exp.Ordered(this=o) for o in order.expressions]


def _output_name(item: exp.Expression) -> str:
    if isinstance(item, exp.Alias):
        return _name(item.alias)
    if isinstance(item, exp.Column):
        return _name(item.this)
    name = item.alias_or_name
    return name.lower() if name else "?column?"


def _rename(cols: _Cols, alias: exp.Expression | None) -> _Cols:
    names = [_name(c) for c in alias.columns] if isinstance(alias, exp.TableAlias) and alias.columns else []
    if len(names) > len(cols):
        raise LineageError(f"{len(names)} column aliases given for {len(cols)} columns")
    return [(names[i] if i < len(names) else n, lin) for i, (n, lin) in enumerate(cols)]


def _union_by_position(
    left: Sequence[tuple[str, _Lin]], right: Sequence[tuple[str, _Lin]], what: str
) -> _Cols:
    if len(left) != len(right):
        raise LineageError(f"each {what} query must have the same number of columns")
    return [
        (ln, _Lin(ll.sources | rl.sources, ll.direct and rl.direct))
        for (ln, ll), (_, rl) in zip(left, right, strict=True)
    ]


def _alias_columns(alias_node: exp.Expression | None) -> list[str]:
    if isinstance(alias_node, exp.TableAlias) and alias_node.columns:
        return [_name(c) for c in alias_node.columns]
    return []


def _total_anonymous(node: exp.Expression) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.upper() in _TOTAL_ANONYMOUS


def _as_list(value: object) -> list[exp.Expression]:
    if isinstance(value, exp.Expression):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, exp.Expression)]
    return []


def _is_text_cast(node: exp.Cast) -> bool:
    to = node.args.get("to")
    return isinstance(to, exp.DataType) and to.this in _TEXT_TYPES
