"""Type every node of a resolved query with PostgreSQL semantics, refusing what is not allowed.

This is the translation allow-list at work. Every node class must have a typing rule (the
constructs/ modules hold them, the catalogue lists them); a node without one (an unknown
function, an operator nobody verified) is refused with 0A000 naming it. Rules compute the
PostgreSQL type of the node from its children's types and refuse the combinations whose
BigQuery result would differ. Scopes are typed bottom-up (sqlglot's traverse_scope), so a
column of a CTE or derived table gets the type its projection computed, and a column of a
warehouse table the type from its TableMeta.

The Typer is handed its rules rather than importing them, so every construct module can
import this one (for the Typer it types with) without a circle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from pgbridge.backends.base import TableMeta
from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import rowrefs
from pgbridge.sql.translate.zones import parse_stamp, session_zone
from pgbridge.wire.errors import PgError, SqlState, unsupported

# What a rule or fix-up is registered under: a node class, or for an Anonymous node (a function
# sqlglot does not model) the function's lower-case name.
Key = type[exp.Expr] | str
Rule = Callable[["Typer", Any], "str | None"]


def node_key(node: exp.Expr) -> Key:
    return str(node.this).lower() if isinstance(node, exp.Anonymous) else type(node)


# How PostgreSQL users spell the constructs sqlglot names differently.
_SPELLINGS: dict[type[exp.Expr], str] = {
    exp.RegexpILike: "operator ~*",
    exp.SimilarTo: "SIMILAR TO",
    exp.ArrayContainsAll: "array operator @>",
    exp.JSONBExtract: "json operator #>",
    exp.JSONBExtractScalar: "json operator #>>",
    exp.JSONBContainsTopKey: "jsonb operator ?",
    exp.JSONBContainsAnyTopKeys: "jsonb operator ?|",
    exp.JSONBContainsAllTopKeys: "jsonb operator ?&",
    exp.ArrayContainedBy: "array operator <@",
    exp.ArrayOverlaps: "array operator &&",
    exp.ByteString: "E'...' escape string",
    exp.AtTimeZone: "AT TIME ZONE",
    exp.Collate: "COLLATE",
    exp.WithinGroup: "WITHIN GROUP (ordered-set aggregate)",
    exp.Lateral: "LATERAL",
    exp.GenerateSeries: "generate_series()",
    exp.MD5: "function md5()",
    exp.Lock: "SELECT ... FOR UPDATE/SHARE",
    exp.TryCast: "TRY_CAST",
    exp.Pivot: "PIVOT",
}


def describe(node: exp.Expr, text: str = "") -> str:
    """How a refusal names a construct: the function or operator as a person would write it."""
    for cls, spelled in _SPELLINGS.items():
        if isinstance(node, cls):
            return spelled
    written = _as_written(node, text)
    if isinstance(node, exp.Anonymous):
        return f"function {str(node.this).lower()}()"
    if written:
        return f"function {written}()"
    if isinstance(node, exp.Func) and not isinstance(node, (exp.Binary, exp.Unary)):
        return f"function {node.sql_name().lower()}()"
    return f"SQL construct {type(node).__name__}"


def _as_written(node: exp.Expr, text: str) -> str | None:
    start, end = node.meta.get("start"), node.meta.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(text):
        spelled = text[start : end + 1]
        return spelled.lower() if spelled.replace("_", "").isalnum() else None
    return None


class Typer:
    def __init__(
        self,
        rules: Mapping[Key, Rule],
        metas: Sequence[TableMeta],
        text: str,
        declared: Sequence[str | None],
        timezone: str = "UTC",
    ) -> None:
        self.rules = rules
        self.text = text
        self.timezone = timezone  # the session TimeZone, checked only when a query depends on it
        self.types: dict[int, str | None] = {}
        self.tables = {
            (m.dataset, m.name): {f.name: T.field_type(f.type, f.mode) for f in m.fields} for m in metas
        }
        self.declared = list(declared)
        self.required_fields = {
            (m.dataset, m.name, f.name) for m in metas for f in m.fields if f.mode == "REQUIRED"
        }
        self.required: set[int] = set()  # id(column) of columns that cannot be NULL
        self.param_types: dict[int, str] = {}  # parameter number -> decided type
        self.param_nodes: dict[int, list[exp.Expr]] = {}
        self.coerce: dict[int, str] = {}  # id(untyped literal) -> type to cast it to
        self.undecidable: set[int] = set()  # parameter numbers PostgreSQL could not type
        self.setop_out: dict[int, list[str | None]] = {}  # id(set operation) -> output column types
        # Integers PostgreSQL types int4 (small literals, length(), ...): sum() of them is int8,
        # not numeric. Everything else integer is int8.
        self.int4: set[int] = set()
        # Output columns may carry PostgreSQL's numeric digits as text (numeric_exact); not
        # in DML, whose "outputs" are values written to a table.
        self.digit_outputs = True

    def zone(self) -> exp.Literal:
        """The session zone as a SQL literal (refuses zones the engines would read differently)."""
        return exp.Literal.string(session_zone(self.timezone))

    def run(self, ast: exp.Expr) -> None:
        for scope in _inner_first(traverse_scope(ast)):
            self._type_columns(scope)
            self.visit(scope.expression)
        self.visit(ast)

    def visit(self, node: exp.Expr) -> str | None:
        key = id(node)
        if key in self.types:
            return self.types[key]
        handler = self.rules.get(node_key(node))
        if handler is None and isinstance(node, exp.Anonymous):
            handler = _unknown_function
        if handler is None:
            raise unsupported(describe(node, self.text))
        for child in node.iter_expressions():
            self.visit(child)
        result = handler(self, node)
        self.types[key] = result
        if result == T.INT and _is_int4(self, node):
            self.int4.add(key)
        return result

    def type_of(self, node: exp.Expr | None) -> str | None:
        return None if node is None else self.visit(node)

    def set_type(self, node: exp.Expr, type_: str | None) -> None:
        self.types[id(node)] = type_

    # -- parameters and untyped literals ---------------------------------------------------
    def param_number(self, node: exp.Expr) -> int | None:
        if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal):
            return int(node.this.this)
        if isinstance(node, exp.Placeholder) and str(node.this or "").isdigit():
            return int(node.this)
        return None

    def settle(self, node: exp.Expr, target: str | None) -> None:
        """Give an untyped operand (parameter or 'literal') the type its context demands."""
        if target in (None, T.UNKNOWN):
            return
        assert target is not None
        number = self.param_number(node)
        if number is not None and number not in self.param_types:
            self.param_types[number] = target
            self.set_type(node, target)
        elif isinstance(node, exp.Literal) and node.is_string and self.types.get(id(node)) == T.UNKNOWN:
            self._check_literal_coercion(node, target)
            self.coerce[id(node)] = target
            self.set_type(node, target)

    def _check_literal_coercion(self, node: exp.Literal, target: str) -> None:
        if target != T.TIMESTAMP:
            return
        stamp = parse_stamp(node.this)
        if stamp is None:
            raise unsupported(
                f"timestamptz literal '{node.this}'",
                hint="write it as 'YYYY-MM-DD HH:MM:SS', optionally with a zone like +00 or Z",
            )
        if not stamp.zoned:
            self.zone()  # read in the session zone: refuse zones the engines disagree on

    def mark_undecidable(self, node: exp.Expr) -> None:
        number = self.param_number(node)
        if number is not None and number not in self.param_types:
            self.undecidable.add(number)

    # -- columns ---------------------------------------------------------------------------
    def _type_columns(self, scope: Scope) -> None:
        for row in scope.expression.find_all(exp.TableColumn):
            if row.find_ancestor(exp.Select) is scope.expression and id(row) not in self.types:
                source = _find_source(scope, row.name)
                if source is not None:
                    self._type_row(row, source)
        for column in scope.columns:
            if id(column) in self.types:
                continue
            if not column.table:
                row_source = _find_source(scope, column.name)
                if row_source is not None:
                    self._type_row(column, row_source)
                continue  # an output alias (ORDER BY total) or a name the parent resolves
            source = _find_source(scope, column.table)
            self.types[id(column)] = self._source_column_type(source, column)
            if isinstance(source, Scope) and self._source_is_int4(source.expression, column.name):
                self.int4.add(id(column))
            if (
                isinstance(source, exp.Table)
                and (source.text("db"), source.name, column.name) in self.required_fields
            ):
                self.required.add(id(column))
            if isinstance(source, exp.Table) and isinstance(source.this, exp.ExplodingGenerateSeries):
                self._type_series_column(source.this, column)

    def _type_row(self, column: exp.Expr, source: object) -> None:
        if not rowrefs.is_row_argument(column):
            raise rowrefs.refused(column.name)
        fields = rowrefs.fields_of(source, self.tables, lambda p: self.types.get(id(p)))
        rowrefs.check_fields(column.name, fields)
        column.meta[rowrefs.FIELDS_KEY] = fields
        self.types[id(column)] = T.ROW

    def _type_series_column(self, series: exp.ExplodingGenerateSeries, column: exp.Column) -> None:
        # generate_series(int4, int4) yields int4, as PostgreSQL types it.
        self.visit(series)
        self.types[id(column)] = self.types.get(id(series))
        if id(series) in self.int4:
            self.int4.add(id(column))

    def _source_column_type(self, source: object, column: exp.Column) -> str | None:
        if isinstance(source, exp.Table):
            columns = self.tables.get((source.text("db"), source.name), {})
            return columns.get(column.name)
        if isinstance(source, Scope):
            return self._scope_output_type(source.expression, column.name)
        return None

    def _scope_output_type(self, query: exp.Expr, name: str) -> str | None:
        if isinstance(query, exp.Values):
            return self._values_type(query, name)
        if isinstance(query, exp.Unnest) and query.expressions:
            return T.element_of(self.types.get(id(query.expressions[0])))
        select = query.this if isinstance(query, exp.Lateral) else query
        while isinstance(select, (exp.SetOperation, exp.Subquery)):
            select = select.this
        if not isinstance(select, exp.Select):
            return None
        for index, projection in enumerate(select.expressions):
            if projection.alias_or_name == name:
                if isinstance(query, exp.SetOperation) and id(query) in self.setop_out:
                    return self.setop_out[id(query)][index]
                return self.types.get(id(projection))
        return None

    def _source_is_int4(self, query: exp.Expr, name: str) -> bool:
        found = False
        for select in leaf_selects(query):
            for projection in select.expressions:
                if projection.alias_or_name == name and id(projection) in self.types:
                    found = True  # (the recursive part of a WITH RECURSIVE is not typed yet)
                    if id(projection) not in self.int4:
                        return False
        return found

    def _values_type(self, values: exp.Values, name: str) -> str | None:
        alias = values.args.get("alias")
        names = [c.name for c in alias.columns] if alias is not None else []
        if name not in names:
            return None
        index = names.index(name)
        return T.common_type([self.types.get(id(row.expressions[index])) for row in values.expressions])


def _unknown_function(t: Typer, node: exp.Anonymous) -> str | None:
    # Refused after its arguments were typed: a refusal inside them names the innermost call.
    raise unsupported(describe(node, t.text))


_INT8_PRODUCERS = (
    exp.Count,
    exp.Sum,
    exp.RowNumber,
    exp.Rank,
    exp.DenseRank,
    exp.Column,
    exp.Parameter,
    exp.Placeholder,
    exp.Extract,
)
_INT4_PRODUCERS = (exp.Length, exp.StrPosition, exp.ArraySize, exp.Ntile, exp.Grouping, exp.Ascii)


def _is_int4(t: Typer, node: exp.Expr) -> bool:
    if isinstance(node, _INT4_PRODUCERS):
        return True
    if isinstance(node, exp.Literal):
        return int(node.this) <= 2**31 - 1
    if isinstance(node, exp.Cast):
        return node.to.this in (exp.DType.INT, exp.DType.SMALLINT)
    if isinstance(node, exp.Sub) and t.types.get(id(node.this)) == T.DATE:
        return True  # date - date
    if isinstance(node, (*_INT8_PRODUCERS, exp.Anonymous)):
        return isinstance(node, exp.Anonymous)  # cardinality()
    ints = [c for c in node.iter_expressions() if t.types.get(id(c)) == T.INT]
    return bool(ints) and all(id(c) in t.int4 for c in ints)


def leaf_selects(query: exp.Expr) -> list[exp.Select]:
    """The SELECTs a query's set operations (and parentheses) combine, left to right."""
    if isinstance(query, exp.SetOperation):
        return leaf_selects(query.left) + leaf_selects(query.right)
    if isinstance(query, exp.Subquery):
        return leaf_selects(query.this)
    return [query] if isinstance(query, exp.Select) else []


def _inner_first(scopes: list[Scope]) -> list[Scope]:
    """sqlglot yields a VALUES scope before the subqueries inside its rows; typing it first would
    type those subqueries' columns before their own scopes know them. Move each VALUES scope
    after every scope nested in it."""
    ordered = [scope for scope in scopes if not isinstance(scope.expression, exp.Values)]
    for values in (scope for scope in scopes if isinstance(scope.expression, exp.Values)):
        inner = [i for i, s in enumerate(ordered) if _contains(values.expression, s.expression)]
        ordered.insert(max(inner) + 1 if inner else _first_outer(ordered, values), values)
    return ordered


def _contains(outer: exp.Expr, node: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is outer:
            return True
        parent = parent.parent
    return False


def _first_outer(ordered: list[Scope], values: Scope) -> int:
    return next((i for i, s in enumerate(ordered) if _contains(s.expression, values.expression)), 0)


def _find_source(scope: Scope | None, name: str) -> object | None:
    while scope is not None:
        if name in scope.sources:
            return scope.sources[name]
        scope = scope.parent
    return None


def undetermined_parameter(number: int) -> PgError:
    return PgError(SqlState.INDETERMINATE_DATATYPE, f"could not determine data type of parameter ${number}")
