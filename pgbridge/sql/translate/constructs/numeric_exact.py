"""PostgreSQL's exact numeric digits for avg, numeric division, sum(numeric) and numeric literals.

PostgreSQL prints a numeric with a display scale of its own: 7.0 / 2 = 3.5000000000000000,
avg(1, 2) = 1.5000000000000000, sum(1.5, 2.5) = 4.0, `SELECT 1.50` = 1.50. A BigQuery NUMERIC
has no such scale. So where the scale is the point, the translation returns the exact
inputs as a STRING (`q:<a>:<b>:<scale a>:<scale b>` for a quotient, `d:<value>:<scale>` for a
value shown with a scale, plain digits for a literal) and declares the column numeric; the
encoder finishes PostgreSQL's digits from them with exact arithmetic (select_div_scale, half
away from zero rounding: encode/numeric_digits.py). BigQuery computes only exact things:
NUMERIC sums and counts, the operands themselves, and display scales.

Only as a whole output column of the outermost SELECT (no DISTINCT; no ORDER BY on it): the
value leaves BigQuery as text, so it cannot be compared, sorted or computed with there.

Display scales of the inputs: an integer's is 0, a literal's what is written (7.0 -> 1), a
NUMERIC column value's its significant decimals (the gateway prints 5.00 as 5; the encoder
reads them from the value), a sum's the largest of its inputs' (computed per group here).
A computed numeric operand (a + b, round(x, 2)) has a scale of its own: refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import scales
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.constructs import float_numeric, set_scales
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("numeric digits")


EXACT_KEY = "pg_exact"  # node.meta: what numeric_exact computes for this output node


@dataclass(frozen=True)
class Operand:
    """How one numeric input is read: 'int', 'column' (scale per value), 'literal' or
    'static' (any exact value whose scale is known when translating: scales.py)."""

    kind: str
    scale: int = 0  # a literal's written scale, a static value's scale
    dynamic: tuple | None = None  # 'dynamic': a scale computed per group (scales.Dynamic)


# -- typing: which nodes qualify ---------------------------------------------------------------


def is_output(node: exp.Expr, rounded: bool = False) -> bool:
    """A whole output column of the outermost SELECT, which has no DISTINCT (or, when
    `rounded`, the argument of a round(x, n) that is one)."""
    parent = node.parent
    if rounded and _rounding(node) is not None and parent is not None:
        node, parent = parent, parent.parent  # round(avg(x), 2): the round is the output
    if isinstance(parent, exp.Alias):
        node, parent = parent, parent.parent
    return (
        isinstance(parent, exp.Select)
        and node.arg_key == "expressions"
        and parent.parent is None
        and not parent.args.get("distinct")
    )


def _rounding(node: exp.Expr) -> int | None:
    """n when node is the argument of round(node[, n]) with a literal integer n (0 without)."""
    parent = node.parent
    if not isinstance(parent, exp.Round) or node.arg_key != "this":
        return None
    digits = parent.args.get("decimals")
    return 0 if digits is None else _literal_int(digits)


def operand(t: Typer, node: exp.Expr) -> Operand | None:
    type_ = t.types.get(id(node))
    if type_ == T.INT:
        return Operand("int")
    if type_ != T.NUMERIC:
        return None
    if isinstance(node, exp.Literal) and not node.is_string:
        return Operand("literal", _written_scale(str(node.this)))
    if scales.unknown(t, node):
        dynamic = scales.dynamic_scale(t, node)
        return None if dynamic is None else Operand("dynamic", dynamic=dynamic)
    known = scales.scale_of(t, node)
    if known is not None:
        return Operand("static", known)
    if isinstance(node, exp.Column):
        return Operand("column")
    if isinstance(node, exp.Cast) and t.types.get(id(node.this)) == T.INT and not node.to.expressions:
        return Operand("int")
    dynamic = scales.dynamic_scale(t, node)
    return None if dynamic is None else Operand("dynamic", dynamic=dynamic)


def _written_scale(text: str) -> int:
    return len(text.partition(".")[2])


def check_output_order(node: exp.Expr) -> None:
    """ORDER BY naming this output would sort its digits as text: refused."""
    if _ordered_by(node):
        raise unsupported(
            "ORDER BY a numeric average or quotient output",
            hint="order by the expression cast to float8, or by another column",
        )


def _ordered_by(node: exp.Expr) -> bool:
    """Does the SELECT's ORDER BY name this output (by position or alias)?"""
    if _rounding(node) is not None and node.parent is not None:
        node = node.parent
    parent = node.parent
    alias = parent.alias if isinstance(parent, exp.Alias) else ""
    select = parent.parent if isinstance(parent, exp.Alias) else parent
    if not isinstance(select, exp.Select) or select.args.get("order") is None:
        return False
    position = select.expressions.index(parent if isinstance(parent, exp.Alias) else node) + 1
    for ordered in select.args["order"].expressions:
        key = ordered.this
        by_position = isinstance(key, exp.Literal) and not key.is_string and str(key.this) == str(position)
        by_name = isinstance(key, exp.Column) and not key.table and alias and key.name == alias
        if by_position or by_name:
            return True
    return False


def mark_division(t: Typer, node: exp.Div) -> bool:
    """Is this numeric division an exact output? Marks it when it is."""
    if not t.digit_outputs:
        return False
    left, right = operand(t, node.this), operand(t, node.expression)
    if not is_output(node, rounded=True) or left is None or right is None:
        return False
    check_output_order(node)
    node.meta[EXACT_KEY] = ("div", left, right)
    _mark_round(node)
    return True


def mark_aggregate(t: Typer, node: exp.Expr, kind: str) -> bool:
    """avg(int / numeric column) or sum(numeric column) as an exact output."""
    if not t.digit_outputs:
        return False
    value = node.this
    arg = operand(t, value)
    if not is_output(node, rounded=True) or arg is None or arg.kind == "literal":
        return False
    if isinstance(value, exp.Distinct) or node.find_ancestor(exp.Window, exp.Filter):
        return False
    if kind == "sum" and (_ordered_by(node) or arg.kind == "static"):
        return False  # a NUMERIC (sorted as a number); a known scale is printed by mark_outputs
    check_output_order(node)
    node.meta[EXACT_KEY] = (kind, arg)
    _mark_round(node)
    return True


def mark_arithmetic(t: Typer, node: exp.Binary) -> None:
    """numeric + - * as an output: printed with PostgreSQL's scale (max of the operands' for + and
    -, their sum for *), e.g. 1.5 + 1.5 = 3.0, 1.25 * 2 = 2.50."""
    if not t.digit_outputs:
        return
    left, right = operand(t, node.this), operand(t, node.expression)
    exact = left is not None and right is not None and is_output(node) and not _ordered_by(node)
    if t.types.get(id(node)) == T.NUMERIC and exact:
        node.meta[EXACT_KEY] = ("arith", left, right)


def mark_round(t: Typer, node: exp.Round) -> None:
    """round(numeric column or literal[, n]) as an output: printed with scale n (20.0)."""
    if not t.digit_outputs:
        return
    arg = operand(t, node.this)
    digits = node.args.get("decimals")
    places = 0 if digits is None else _literal_int(digits)
    if (
        arg is not None
        and arg.kind != "int"
        and places is not None
        and is_output(node)
        and not _ordered_by(node)
    ):
        node.meta[EXACT_KEY] = ("round", arg, places)


def _literal_int(node: exp.Expr) -> int | None:
    negative = isinstance(node, exp.Neg)
    literal = node.this if negative else node
    if not (isinstance(literal, exp.Literal) and literal.is_int):
        return None
    return -int(literal.this) if negative else int(literal.this)


ROUND_KEY = "pg_exact_round"  # node.meta: round(n) applied by the encoder after the digits


def _mark_round(node: exp.Expr) -> None:
    places = _rounding(node)
    if places is not None and node.parent is not None:
        node.meta[ROUND_KEY] = places
        node.parent.meta[ROUND_KEY] = places  # the round() itself passes its argument through


def mark_literal(t: Typer, node: exp.Expr, text: str) -> None:
    """A numeric literal (or its negation) written as a whole output column."""
    if not t.digit_outputs:
        return
    if is_output(node):
        node.meta[EXACT_KEY] = ("literal", text)


# -- translation -------------------------------------------------------------------------------


def rewrite(node: exp.Expr) -> exp.Expr | None:
    """The marked output as the encoder's STRING (its children already translated)."""
    spec = node.meta.get(EXACT_KEY)
    if spec is None:
        return None
    kind = spec[0]
    if kind == "literal":
        return exp.Literal.string(format(Decimal(spec[1]), "f"))
    if kind == "arith":
        return _arithmetic_digits(node, spec[1], spec[2])
    if kind == "round":  # x / 1 is exact at x's scale; the encoder then rounds it
        one = exp.Literal.number(1)
        given = _given_scale(spec[1], node.this)
        return _marker("q", node.this, one, given, exp.Literal.number(0), places=spec[2])
    if kind == "div":
        a, b = node.this, node.expression
        places = node.meta.get(ROUND_KEY)
        quotient = _marker("q", a, b, _given_scale(spec[1], a), _given_scale(spec[2], b), places=places)
        zero = exp.EQ(this=b.copy(), expression=exp.Literal.number(0))
        fails = cast(call("ERROR", exp.Literal.string("division by zero")), T.STRING)
        return exp.If(this=zero, true=fails, false=quotient)
    value = node.this
    if spec[1].kind == "int":
        total: exp.Expr = exp.Sum(this=cast(value.copy(), T.NUMERIC))
        scale: exp.Expr = exp.Literal.number(0)
    elif spec[1].kind == "static":
        total, scale = exp.Sum(this=value.copy()), exp.Literal.number(spec[1].scale)
    else:
        total, scale = exp.Sum(this=value.copy()), exp.Max(this=_scale_of(value.copy()))
    places = node.meta.get(ROUND_KEY)
    if kind == "sum":
        return _marker("d", total, scale, places=places)
    count = exp.Count(this=value.copy())
    return _marker("q", total, count, scale, exp.Literal.number(0), places=places)  # NULL over no rows


def _arithmetic_digits(node: exp.Expr, left: Operand, right: Operand) -> exp.Expr:
    scales = [_display_scale(node.this, left), _display_scale(node.expression, right)]
    if isinstance(node, exp.Mul):
        scale: exp.Expr = exp.Add(this=scales[0], expression=scales[1])
    else:
        scale = exp.Greatest(this=scales[0], expressions=[scales[1]])
    value = type(node)(this=node.this.copy(), expression=node.expression.copy())
    if isinstance(value, exp.Mul):
        value = widened(value)  # up to 9 + 9 decimals: NUMERIC would round
    return _marker("d", value, scale)


def widened(product: exp.Mul) -> exp.Mul:
    """The product computed in BIGNUMERIC, exact up to 38 decimals (NUMERIC keeps 9)."""
    return exp.Mul(this=cast(product.this, "BIGNUMERIC"), expression=cast(product.expression, "BIGNUMERIC"))


# Listed first in the catalogue: for a marked node this replaces the general fix-up of its
# class (literal, arithmetic, round, sum), which then does not run (rewrite.py).
@construct.fixup(exp.Literal, exp.Div, exp.Mul, exp.Add, exp.Sub, exp.Round, exp.Sum, exp.Avg, exp.Neg)
def _exact_digits(t: Typer, node: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.Round) and ROUND_KEY in node.meta:
        return node.this  # its argument's marker carries the rounding
    if isinstance(node, exp.Round):
        rounded = float_numeric.rewrite(node)  # round(float8::numeric, n)
        if rounded is not None:
            return rounded
    return rewrite(node)


def _display_scale(node: exp.Expr, how: Operand) -> exp.Expr:
    if how.dynamic is not None:
        return scales.scale_sql(how.dynamic, node)
    return _scale_of(node.copy()) if how.kind == "column" else exp.Literal.number(how.scale)


# -- outputs whose scale is known when translating -----------------------------------------------

STATIC_KEY = "pg_static_scale"  # node.meta: an output printed with exactly this many decimals


def mark_outputs(t: Typer, ast: exp.Expr) -> None:
    """Numeric outputs of the outermost SELECT whose display scale is known (scales.py): the
    exact value is printed with exactly that scale (`d:` marker, finished after the fix-ups)."""
    if t.digit_outputs and isinstance(ast, (exp.SetOperation, exp.Subquery)):
        set_scales.mark(t, ast)  # each branch's values with its own scale
    if not t.digit_outputs or not isinstance(ast, exp.Select):
        return
    for projection in ast.expressions:
        node = projection.this if isinstance(projection, exp.Alias) else projection
        spec = node.meta.get(EXACT_KEY)
        if t.types.get(id(node)) != T.NUMERIC or ROUND_KEY in node.meta:
            continue
        if spec is not None and spec[0] in ("div", "avg"):
            continue
        known = scales.dynamic_scale(t, node)
        if known is None and scales.unknown(t, node) and not (spec and spec[0] == "arith"):
            raise unsupported(
                "a numeric output whose display scale depends on the row",
                hint="PostgreSQL prints max(a * b) with the scale of the row it comes from; round() it "
                "or cast it to float8",
            )
        if known is None and spec is None and not scales.passes_digits(t, node):
            raise unsupported(
                "a numeric output whose display scale depends on the values",
                hint="PostgreSQL prints sum(x) with the largest scale among the x summed; round() it, "
                "or cast it to numeric(p, s) or float8",
            )
        if known is None or scales.is_bare_column(known):
            continue  # (a column's value prints its own digits already)
        if ast.args.get("group") is not None and scales.reads_companion(known):
            raise unsupported(
                "GROUP BY a derived numeric whose display scale depends on the row",
                hint="PostgreSQL groups 1.5 and 1.50 together and prints one of them; cast it to float8",
            )
        if ast.args.get("distinct") and known[0] != "int":
            raise unsupported(
                "SELECT DISTINCT of a numeric whose display scale depends on the row",
                hint="equal values of different scales would stay apart; cast it to float8",
            )
        if ast.args.get("distinct") and _ordered_by(node):
            raise unsupported(
                "SELECT DISTINCT ordered by a numeric output", hint="order by the expression cast to float8"
            )
        node.meta.pop(EXACT_KEY, None)
        node.meta[STATIC_KEY] = known


def finish_outputs(ast: exp.Expr) -> exp.Expr:
    """Wrap the marked outputs (translated now) in their `d:` markers; ORDER BY naming one
    sorts by its value, not by the marker's text."""
    if isinstance(ast, (exp.SetOperation, exp.Subquery)) or set_scales.NUMBERED_KEY in ast.meta:
        set_scales.finish(ast)
    if isinstance(ast, exp.Select):
        for index, projection in enumerate(list(ast.expressions)):
            node = projection.this if isinstance(projection, exp.Alias) else projection
            known = node.meta.get(STATIC_KEY)
            if known is None or node.meta.get("pg_static_done"):
                continue
            node.meta["pg_static_done"] = True
            _order_by_value(ast, projection, index, node)
            marker = _marker("d", node, scales.scale_sql(known, node))
            node.replace(marker)
    for node in ast.walk():
        if node.meta.get(STATIC_KEY) is not None and not node.meta.get("pg_static_done"):
            raise unsupported("a numeric output of this query's shape", hint="cast it to float8")
    return ast


def _order_by_value(select: exp.Select, projection: exp.Expr, index: int, value: exp.Expr) -> None:
    order = select.args.get("order")
    if order is None:
        return
    alias = projection.alias if isinstance(projection, exp.Alias) else ""
    for ordered in order.expressions:
        key = ordered.this
        by_position = isinstance(key, exp.Literal) and not key.is_string and str(key.this) == str(index + 1)
        by_name = isinstance(key, exp.Column) and not key.table and alias and key.name == alias
        if by_position or by_name:
            ordered.set("this", value.copy())


def _given_scale(how: Operand, translated: exp.Expr) -> exp.Expr:
    if how.dynamic is not None:
        return scales.scale_sql(how.dynamic, translated)
    return exp.Literal.number(how.scale)  # a column's own digits are read by the encoder


def _marker(kind: str, *parts: exp.Expr, places: int | None = None) -> exp.Expr:
    pieces: list[exp.Expr] = [exp.Literal.string(kind)]
    for part in parts:
        pieces += [exp.Literal.string(":"), cast(part.copy(), T.STRING)]
    if places is not None:
        pieces.append(exp.Literal.string(f":r{places}"))
    return exp.Concat(expressions=pieces, safe=False, coalesce=False)


def _scale_of(value: exp.Expr) -> exp.Expr:
    """Significant decimals of a NUMERIC value (0..9), NULL for NULL."""
    return scales.digits_scale(value)
