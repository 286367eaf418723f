"""Display scales known when translating: how many decimals PostgreSQL prints a numeric with.

PostgreSQL's numeric carries a display scale per value, and its arithmetic derives the
result's from the operands': a + b and a - b take the larger, a * b the sum, sum(), min()
and max() their inputs', round(x, n) and trunc(x, n) n. Where every input's scale is known before the query
runs (integers 0, a literal what is written, a column declared NUMERIC(P, S) S), so is the
result's; then BigQuery can compute the exact value (BIGNUMERIC where NUMERIC's 9 decimals
would round) and the encoder print it with exactly that many decimals (numeric_exact.py).

A scale that depends on the values (a NUMERIC column without declared scale, numeric
division, avg(), CASE arms of different scales) is None here: callers refuse, or use the
per-value markers of numeric_exact.py.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

MAX_SCALE = 38  # BIGNUMERIC's decimals: beyond them BigQuery would round
NUMERIC_SCALE = 9  # NUMERIC's decimals: a result needing more is computed in BIGNUMERIC

_SAME_AS_ARGUMENT = (exp.Sum, exp.Min, exp.Max, exp.Paren, exp.Alias, exp.Neg, exp.Abs, exp.AnyValue)


def scale_of(t: Typer, node: exp.Expr | None) -> int | None:
    """The display scale of a numeric (or integer) node when it is the same for every value."""
    if node is None:
        return None
    key = id(node)
    if key not in t.scales:
        t.scales[key] = _compute(t, node)
    return t.scales[key]


def _compute(t: Typer, node: exp.Expr) -> int | None:
    type_ = t.types.get(id(node))
    if type_ == T.INT:
        return 0
    if type_ != T.NUMERIC:
        return None
    if isinstance(node, exp.Literal) and not node.is_string:
        return literal_scale(str(node.this))
    if isinstance(node, exp.Column):
        return t.column_scales.get(id(node))
    if isinstance(node, exp.Sum):
        return 0 if t.types.get(id(node.this)) == T.INT else scale_of(t, node.this)
    if isinstance(node, exp.Window) and isinstance(node.this, (exp.Sum, exp.Min, exp.Max)):
        return scale_of(t, node.this)  # sum(count(*)) OVER (): a window's sum is a sum
    if isinstance(node, _SAME_AS_ARGUMENT):
        return scale_of(t, node.this)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mod)):
        return _both(t, node, max)
    if isinstance(node, exp.Mul):
        return _both(t, node, lambda a, b: a + b)
    return _other(t, node)


# extract()'s numeric scale per field (PostgreSQL 14+): seconds and epochs carry microseconds.
_EXTRACT_SCALES = {"SECOND": 6, "MILLISECONDS": 3, "EPOCH": 6}


def _other(t: Typer, node: exp.Expr) -> int | None:
    if isinstance(node, exp.Trunc):
        return _places(node)  # trunc(x, n): scale n whatever x's (trunc_var sets it)
    if isinstance(node, exp.Extract):
        field = node.this.name.upper()
        if field == "EPOCH" and t.types.get(id(node.expression)) == T.DATE:
            return 0
        return _EXTRACT_SCALES.get(field, 0)
    if isinstance(node, exp.Round) and t.types.get(id(node.this)) in (T.NUMERIC, T.INT):
        digits = node.args.get("decimals")
        places = 0 if digits is None else _int_literal(digits)
        return None if places is None else max(places, 0)
    if isinstance(node, exp.Cast) and node.to.this in (exp.DType.DECIMAL, exp.DType.BIGDECIMAL):
        return _cast_scale(t, node)
    if isinstance(node, (exp.Case, exp.If, exp.Coalesce)):
        return _same_arms(t, _arms(node))
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select):
        outputs = node.this.expressions
        return scale_of(t, outputs[0]) if len(outputs) == 1 else None
    return None


def _places(node: exp.Expr) -> int | None:
    digits = node.args.get("decimals")
    places = 0 if digits is None else _int_literal(digits)
    return None if places is None else max(places, 0)


NUMERIC_TEXT_KEY = "pg_numeric_text"  # node.meta of 'literal'::numeric: its value in plain digits


def _cast_scale(t: Typer, node: exp.Cast) -> int | None:
    if node.meta.get(NUMERIC_TEXT_KEY) is not None:
        return literal_scale(node.meta[NUMERIC_TEXT_KEY])
    params = node.to.expressions
    if len(params) == 2:
        return _int_literal(params[1].this if isinstance(params[1], exp.DataTypeParam) else params[1])
    if len(params) == 1:
        return 0  # numeric(P) is numeric(P, 0)
    return scale_of(t, node.this) if t.types.get(id(node.this)) in (T.INT, T.NUMERIC) else None


def _arms(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Case):
        arms = [i.args["true"] for i in node.args.get("ifs") or []]
        return [*arms, node.args["default"]] if node.args.get("default") is not None else arms
    if isinstance(node, exp.If):
        return [a for a in (node.args.get("true"), node.args.get("false")) if a is not None]
    return [node.this, *node.expressions]


def _same_arms(t: Typer, arms: list[exp.Expr]) -> int | None:
    """CASE / COALESCE: each value keeps its own scale; known only when every arm has the same
    (a NULL arm has none)."""
    scales = {scale_of(t, arm) for arm in arms if not isinstance(arm, exp.Null)}
    return scales.pop() if len(scales) == 1 else None


def _both(t: Typer, node: exp.Binary, combine: object) -> int | None:
    left, right = scale_of(t, node.this), scale_of(t, node.expression)
    if left is None or right is None:
        return None
    assert callable(combine)
    result = combine(left, right)
    return result if isinstance(result, int) else None


def literal_scale(text: str) -> int | None:
    """A numeric literal's scale as PostgreSQL reads it: 1.50 -> 2, 1e3 -> 0, 1.5e-3 -> 4."""
    try:
        exponent = Decimal(text).as_tuple().exponent
    except InvalidOperation:
        return None
    return max(-exponent, 0) if isinstance(exponent, int) else None


def _int_literal(node: exp.Expr) -> int | None:
    negative = isinstance(node, exp.Neg)
    literal = node.this if negative else node
    if not (isinstance(literal, exp.Literal) and literal.is_int):
        return None
    return -int(literal.this) if negative else int(literal.this)


BOUND_KEY = "pg_scale_bound"  # node.meta of numeric * numeric: its largest scale (None: unknown)


def needs_bignumeric(node: exp.Expr) -> bool:
    """Does this product's exact value need more decimals than NUMERIC keeps? (Set when typed:
    numeric * integer never does.)"""
    if BOUND_KEY not in node.meta:
        return False
    largest = node.meta[BOUND_KEY]
    return largest is None or largest > NUMERIC_SCALE


# -- scales that depend on the rows: sum(CASE WHEN c THEN x ELSE 0 END) ----------------------
#
# Each CASE value keeps its arm's scale, so such a sum's scale is the largest arm scale among
# the group's rows: MAX(CASE WHEN c THEN <scale of x> ELSE 0 END), computed by BigQuery next
# to the sum. A Dynamic is that (or integer arithmetic on it), built from the translated query.

# ("sum", tag, arm scales) | ("agg", tag, per-row Dynamic): a sum's scale, the largest of its rows'
# ("col", tag): the significant decimals of a column's value | ("add" | "max", left, right) | ("int", n)
# | ("ref", tag, companion, bound): a derived table's column whose scale its companion holds
Dynamic = tuple
FILTER_GUARD_KEY = "pg_filter_guard"  # node.meta of the CASE a FILTER (WHERE c) became
TAG_KEY = "pg_scale_tag"  # node.meta: finds a sum again once the fix-ups have translated it


def dynamic_scale(t: Typer, node: exp.Expr) -> Dynamic | None:
    """The scale of `node` as a Dynamic when it is not static but computable per group."""
    static = scale_of(t, node)
    if static is not None:
        return ("int", static)
    if isinstance(node, (exp.Paren, exp.Alias, exp.Neg)):
        return dynamic_scale(t, node.this)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mod, exp.Mul)):
        left, right = dynamic_scale(t, node.this), dynamic_scale(t, node.expression)
        if left is None or right is None:
            return None
        return ("add" if isinstance(node, exp.Mul) else "max", left, right)
    if isinstance(node, exp.Column) and id(node) in t.column_dynamic:
        return t.column_dynamic[id(node)]  # a derived table's companion column (_note_companion)
    if isinstance(node, exp.Column) and id(node) in t.plain_columns:
        return ("col", _tag(node))  # a NUMERIC without declared scale: its significant decimals
    if isinstance(node, exp.Sum) and isinstance(node.this, (exp.Case, exp.If)):
        arms = [None if isinstance(a, exp.Null) else scale_of(t, a) for a in _arms(node.this)]
        if any(s is None for a, s in zip(_arms(node.this), arms, strict=True) if not isinstance(a, exp.Null)):
            return None
        return ("sum", _tag(node), arms)
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.Sum):
        return dynamic_scale(t, node.this)  # sum(x) FILTER (WHERE c): the filtered rows' (below)
    if isinstance(node, exp.Window) and isinstance(node.this, exp.Sum):
        # sum(x) OVER w: the largest scale of the rows in each row's frame, MAX(...) OVER w
        inner = dynamic_scale(t, node.this.this)
        return None if inner is None else ("agg", _tag(node.this), inner)
    if isinstance(node, exp.Sum) and not node.find_ancestor(exp.Window):
        inner = dynamic_scale(t, node.this)
        return None if inner is None or not _per_row(inner) else ("agg", _tag(node), inner)
    return None


# What hands one row's value on unchanged (its scale too), and what yields a whole number.
_ONE_VALUE = (
    exp.Paren, exp.Alias, exp.Neg, exp.Abs, exp.Min, exp.Max, exp.AnyValue,
    exp.FirstValue, exp.LastValue, exp.Lag, exp.Lead, exp.NthValue,
)  # fmt: skip
_WHOLE = (exp.Ceil, exp.Floor, exp.Sign)


def passes_digits(t: Typer, node: exp.Expr) -> bool:
    """Does PostgreSQL print this value with exactly its own significant decimals, as the
    encoder prints a NUMERIC of unknown scale? A table's NUMERIC without declared scale does
    (its scale is its digits: BigQuery keeps none), and so does whatever hands one such value
    on; a sum of them does not (sum(1.50, 1.50) prints 3.00). Anything else is refused."""
    type_ = t.types.get(id(node))
    if type_ == T.INT or isinstance(node, _WHOLE):
        return True
    if type_ != T.NUMERIC:
        return False
    if isinstance(node, exp.Column):
        return id(node) in t.plain_columns
    if t.param_number(node) is not None:
        t.digit_params.add(t.param_number(node) or 0)  # checked when bound (pipeline/admit.py)
        return True
    if isinstance(node, exp.Literal):
        return not node.is_string and literal_scale(str(node.this)) == _significant(str(node.this))
    if isinstance(node, exp.Window):
        return isinstance(node.this, _ONE_VALUE) and passes_digits(t, node.this)
    if isinstance(node, exp.Cast) and not node.to.expressions:
        return passes_digits(t, node.this)
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, (exp.PercentileDisc, exp.Mode)):
        order = node.expression  # one of the ordered values is the answer
        keys = order.expressions if isinstance(order, exp.Order) else []
        return len(keys) == 1 and passes_digits(t, keys[0].this)
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select):
        outputs = node.this.expressions
        return len(outputs) == 1 and passes_digits(t, outputs[0])
    if isinstance(node, (exp.Case, exp.If, exp.Coalesce, exp.Greatest, exp.Least)):
        return all(isinstance(a, exp.Null) or passes_digits(t, a) for a in _arms(node))
    if isinstance(node, _ONE_VALUE):
        values = [c for c in node.iter_expressions() if t.types.get(id(c)) in (T.NUMERIC, T.INT)]
        return bool(values) and all(passes_digits(t, c) for c in values)
    return False


def _significant(text: str) -> int | None:
    try:
        exponent = Decimal(text).normalize().as_tuple().exponent
    except InvalidOperation:
        return None
    return max(-exponent, 0) if isinstance(exponent, int) else None


def note_column(t: Typer, source: object, column: exp.Column) -> None:
    """Record what a column's scale is: a table's NUMERIC without declared scale shows its own
    digits; a derived table's column made of values whose scale depends on the rows (sum(n),
    n * 2 of such a column) has one nobody outside can know; a UNION's column has its
    branches' scale when they agree."""
    if t.types.get(id(column)) != T.NUMERIC:
        return
    if isinstance(source, exp.Table):
        if t.column_scales.get(id(column)) is None:
            t.plain_columns.add(id(column))
        return
    query = getattr(source, "expression", None)
    while isinstance(query, (exp.Subquery, exp.Lateral)):
        query = query.this
    if isinstance(query, exp.SetOperation):
        _note_set_column(t, query, column)
        return
    if not isinstance(query, exp.Select):
        return
    for output in query.expressions:
        if output.alias_or_name != column.name:
            continue
        if depends_on_rows(t, output):
            _note_companion(t, query, output, column)
        elif t.column_scales.get(id(column)) is None and passes_digits(t, output):
            t.plain_columns.add(id(column))  # it hands one value on: its digits are its scale


COMPANIONS_KEY = "pg_scale_companions"  # derived SELECT's meta: {output name: its Dynamic scale}
_COMPANION = "{}__pg_scale"


def _note_companion(t: Typer, query: exp.Select, output: exp.Expr, column: exp.Column) -> None:
    """A derived table's column whose scale depends on its rows (with paid as (select
    sum(amount) as total ...)): the derived SELECT computes that scale in a companion column
    next to it (add_companions), which the outer query reads as the column's scale. Not under
    DISTINCT (the companion would split rows) nor per row in a grouped SELECT."""
    found = dynamic_scale(t, output)
    grouped = query.args.get("group") is not None or any(
        isinstance(n, exp.AggFunc) and n.find_ancestor(exp.Window) is None
        for p in query.expressions
        for n in p.walk()
    )
    if (
        found is None
        or not t.digit_outputs
        or query.args.get("distinct")
        or (grouped and _per_row(found))
    ):
        t.unknown_scale.add(id(column))
        return
    query.meta.setdefault(COMPANIONS_KEY, {})[output.alias_or_name] = found
    name = _COMPANION.format(output.alias_or_name)
    t.column_dynamic[id(column)] = ("ref", _tag(column), name, bound(found))


def add_companions(ast: exp.Expr) -> None:
    """After the fix-ups: each derived SELECT computes the scales its readers need."""
    for select in list(ast.find_all(exp.Select)):
        wanted = select.meta.get(COMPANIONS_KEY) or {}
        for name, scale in wanted.items():
            output = next(p for p in select.expressions if p.alias_or_name == name)
            value = output.this if isinstance(output, exp.Alias) else output
            companion = exp.alias_(scale_sql(scale, value), _COMPANION.format(name), quoted=True)
            select.append("expressions", companion)


def _note_set_column(t: Typer, query: exp.SetOperation, column: exp.Column) -> None:
    branches = _leaves(query)
    names = [p.alias_or_name for p in branches[0].expressions] if branches else []
    if column.name not in names:
        return
    index = names.index(column.name)
    values = [b.expressions[index] for b in branches if index < len(b.expressions)]
    found = {scale_of(t, v) for v in values}
    if len(found) == 1 and None not in found:
        t.column_scales[id(column)] = found.pop()  # every branch prints this scale
    elif found != {None} or any(depends_on_rows(t, v) for v in values):
        t.unknown_scale.add(id(column))  # each row the scale of its branch
    elif all(passes_digits(t, v) for v in values):
        t.plain_columns.add(id(column))


def _leaves(query: exp.Expr) -> list[exp.Select]:
    if isinstance(query, exp.SetOperation):
        return _leaves(query.left) + _leaves(query.right)
    if isinstance(query, exp.Subquery):
        return _leaves(query.this)
    return [query] if isinstance(query, exp.Select) else []


def note_subquery(t: Typer, node: exp.Subquery) -> None:
    """A scalar subquery of a value whose scale depends on the rows has an unknown scale."""
    inner = node.this
    if (
        isinstance(inner, exp.Select)
        and len(inner.expressions) == 1
        and depends_on_rows(t, inner.expressions[0])
    ):
        t.unknown_scale.add(id(node))


def depends_on_rows(t: Typer, node: exp.Expr) -> bool:
    """Is `node` a numeric whose display scale is neither known when translating nor its value's
    own digits (sum(n), n * 2 for n without declared scale: PostgreSQL prints 5.0 where the
    value's digits are 5)? Outside the outermost SELECT nobody can print it right."""
    if t.types.get(id(node)) != T.NUMERIC or scale_of(t, node) is not None:
        return False
    if unknown(t, node):
        return True
    found = dynamic_scale(t, node)
    return found is not None and not is_bare_column(found)


def unknown(t: Typer, node: exp.Expr) -> bool:
    """Is the display scale of `node`, or of a value inside it, one nobody can know?"""
    return any(id(n) in t.unknown_scale for n in node.walk())


def _tag(node: exp.Expr) -> int:
    node.meta.setdefault(TAG_KEY, id(node))
    return int(node.meta[TAG_KEY])


def _per_row(scale: Dynamic) -> bool:
    """Does this scale vary row by row (a column's digits), rather than per group?"""
    if scale[0] in ("col", "ref"):
        return True
    if scale[0] in ("add", "max"):
        return _per_row(scale[1]) or _per_row(scale[2])
    return False


def reads_companion(scale: Dynamic) -> bool:
    """Does this scale read a derived table's companion column outside an aggregate?"""
    if scale[0] == "ref":
        return True
    if scale[0] in ("add", "max"):
        return reads_companion(scale[1]) or reads_companion(scale[2])
    return False


def is_bare_column(scale: Dynamic) -> bool:
    return scale[0] == "col"


def bound(scale: Dynamic) -> int:
    """The largest scale a Dynamic can take."""
    if scale[0] == "int":
        return int(scale[1])
    if scale[0] == "sum":
        return max((s for s in scale[2] if s is not None), default=0)
    if scale[0] == "col":
        return NUMERIC_SCALE
    if scale[0] == "ref":
        return int(scale[3])
    if scale[0] == "agg":
        return bound(scale[2])
    left, right = bound(scale[1]), bound(scale[2])
    return left + right if scale[0] == "add" else max(left, right)


def scale_sql(scale: Dynamic, translated: exp.Expr) -> exp.Expr:
    """BigQuery SQL computing a Dynamic inside `translated` (the fixed operand holding its sums)."""
    if scale[0] == "int":
        return exp.Literal.number(scale[1])
    if scale[0] == "sum":
        return exp.Max(this=_arm_scales(_tagged(translated, scale[1]), scale[2]))
    if scale[0] == "col":
        return digits_scale(_found(translated, scale[1]).copy())
    if scale[0] == "ref":
        table = _found(translated, scale[1]).args.get("table")
        return exp.Column(this=exp.to_identifier(scale[2], quoted=True), table=table and table.copy())
    if scale[0] == "agg":
        argument = _tagged(translated, scale[1])
        per_row = scale_sql(scale[2], argument)
        if argument.meta.get(FILTER_GUARD_KEY):  # SUM(CASE WHEN c THEN x END): c's rows only
            per_row = exp.Case(ifs=[exp.If(this=argument.args["ifs"][0].this.copy(), true=per_row)])
        window = _found(translated, scale[1]).parent
        if isinstance(window, exp.Window):  # over the same rows as the sum: the same window
            over = window.copy()
            over.set("this", exp.Max(this=per_row))
            return over
        return exp.Max(this=per_row)
    left, right = scale_sql(scale[1], translated), scale_sql(scale[2], translated)
    if scale[0] == "add":
        return exp.Add(this=left, expression=right)
    return exp.Greatest(this=left, expressions=[right])


def _tagged(translated: exp.Expr, tag: int) -> exp.Expr:
    """The argument of the translated sum() carrying `tag`."""
    found = _found(translated, tag)
    if not isinstance(found, exp.Sum):
        raise unsupported("a numeric sum here", hint="cast it to float8")
    return found.this


def _found(translated: exp.Expr, tag: int) -> exp.Expr:
    for node in translated.walk():
        if node.meta.get(TAG_KEY) == tag:
            return node
    raise unsupported("a numeric value of this query's shape", hint="cast it to float8")


def digits_scale(value: exp.Expr) -> exp.Expr:
    """Significant decimals of a NUMERIC value (0..9), NULL for NULL: the display scale the
    gateway gives a value of a column that declares none (it prints 5.00 as 5)."""
    ifs = [exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null())]
    for digits in range(NUMERIC_SCALE):
        rounded = exp.Anonymous(this="ROUND", expressions=[value.copy(), exp.Literal.number(digits)])
        same = exp.EQ(this=value.copy(), expression=rounded)
        ifs.append(exp.If(this=same, true=exp.Literal.number(digits)))
    return exp.Case(ifs=ifs, default=exp.Literal.number(NUMERIC_SCALE))


def _arm_scales(case: exp.Expr, arms: list[int | None]) -> exp.Expr:
    """The translated CASE with each arm's value replaced by that arm's scale."""
    twin = case.copy()
    values = _arms(twin)
    if not isinstance(twin, (exp.Case, exp.If)) or len(values) != len(arms):
        raise unsupported("a numeric sum of CASE values here", hint="cast it to float8")
    for value, arm in zip(values, arms, strict=True):
        value.replace(exp.Null() if arm is None else exp.Literal.number(arm))
    return twin
