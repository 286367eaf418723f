"""Type every node of a resolved query with PostgreSQL semantics, refusing what is not allowed.

This is the translation allow-list at work. Every node class must have a typing rule (the
constructs/ modules hold them, the catalogue lists them); a node without one (an unknown
function, an operator nobody verified) is refused with 0A000 naming it. Rules compute the
PostgreSQL type of the node from its children's types and refuse the combinations whose
BigQuery result would differ. Columns get their types from their scopes first (scopes.py).

The Typer is handed its rules rather than importing them, so every construct module can
import this one (for the Typer it types with) without a circle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlglot import exp

from pgbridge.backends.base import TableMeta
from pgbridge.sql import pgtypes as T
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
        # Declared scales of NUMERIC(P, S) columns; display scales known at translation
        # (scales.py): memo by node, and per column reference.
        self.declared_scales = {
            (m.dataset, m.name, f.name): f.scale for m in metas for f in m.fields if f.scale is not None
        }
        self.scales: dict[int, int | None] = {}
        self.column_scales: dict[int, int | None] = {}
        # numeric(P, S) as declared, per table column and per column reference (RowDescription's typmod)
        self.declared_numeric = {
            (m.dataset, m.name, f.name): (f.precision, f.scale or 0)
            for m in metas
            for f in m.fields
            if f.precision is not None
        }
        self.column_typmods: dict[int, tuple[int, int]] = {}
        # Columns of warehouse tables without declared scale (a value shows its own digits), and
        # nodes whose display scale nobody can know (a product of such values, a derived column
        # made of one): scales.py
        self.plain_columns: set[int] = set()
        self.unknown_scale: set[int] = set()
        self.column_dynamic: dict[int, tuple] = {}  # derived columns whose scale a companion holds
        # avg(numeric) that is no output column: its type name, and those a comparison decides
        # (constructs/avg_compare.py); the others are refused once typing is done.
        self.avg_values: dict[int, str] = {}
        self.avg_claimed: set[int] = set()
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
        self.int2: set[int] = set()
        # $n printed with its own digits: bound values with trailing zeros (1.50) are refused
        self.digit_params: set[int] = set()  # ... and of those, int2 (::int2 and arithmetic on int2 only)
        # Output columns may carry PostgreSQL's numeric digits as text (numeric_exact); not
        # in DML, whose "outputs" are values written to a table.
        self.digit_outputs = True

    def zone(self) -> exp.Literal:
        """The session zone as a SQL literal (refuses zones the engines would read differently)."""
        return exp.Literal.string(session_zone(self.timezone))

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
            if _is_int2(self, node):
                self.int2.add(key)
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


def _is_int2(t: Typer, node: exp.Expr) -> bool:
    if isinstance(node, exp.Cast):
        return node.to.this == exp.DType.SMALLINT
    if isinstance(node, (*_INT4_PRODUCERS, *_INT8_PRODUCERS, exp.Literal, exp.Anonymous)):
        return False  # (a literal is int4: 1::int2 + 1 is int4 in PostgreSQL)
    ints = [c for c in node.iter_expressions() if t.types.get(id(c)) == T.INT]
    return bool(ints) and all(id(c) in t.int2 for c in ints)


def undetermined_parameter(number: int) -> PgError:
    return PgError(SqlState.INDETERMINATE_DATATYPE, f"could not determine data type of parameter ${number}")
