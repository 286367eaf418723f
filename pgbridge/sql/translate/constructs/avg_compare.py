"""A value compared with a scalar subquery's average: `x < (SELECT 0.2 * avg(y) FROM ...)`.

PostgreSQL's avg(numeric) is numeric_div(sum, count): the quotient q = S / N rounded half away
from zero to select_div_scale's r decimals, r >= max(16 - 4 * qweight, scale of S). Only the
comparison's outcome is printed here, never the average, so its display scale does not
matter; its rounding might. This module decides `a op k * A` (A the rounded average, k a
literal, a and S of known scales) without dividing, and proves it equal to PostgreSQL's:

Let e = max(scale of a, scale of k + scale of S), z = k * q * 10^e = M / N with the integer
M = k * S * 10^e, and X = a * 10^e (an integer). The subquery returns the single integer
V = 2 * floor(z) + (1 if z is not an integer), and the comparison becomes 2X op V:
sign(2X - V) = sign(X - z) for every integer X (V is odd exactly when z is not whole).

1. sign(X - z) = sign(a - k * A) when z is not whole. X - z is a multiple of 1/N, so
   |a - k q| >= 10^-e / N, while |k A - k q| <= |k| / 2 * 10^-r. PostgreSQL's qweight is at
   most log10000 |q| (|q| >= 10000^qweight: the first base-10000 digits bound it either way),
   so 10^r >= 10^16 / |q| and |k A - k q| <= |k| |q| / (2 * 10^16) = |M| / (2 * 10^16 * 10^e N)
   < 10^-e / N when |M| < 2 * 10^16. The subquery fails (an error, never a value) otherwise.
2. z whole: then a = k q is possible and PostgreSQL's answer is = only when A = q, that is
   when q has at most r decimals. r >= scale of S, and r > s when |q| < 10^(16 - s), i.e.
   |S| < 10^(16 - s) * N (by the bound on qweight above). q has at most s decimals when
   (a) k's digits K divide 10^t: then s = sigma = e + t - scale of k (q = z * 10^-e / k);
   proved once for all when sigma <= scale of S (TPC-H Q22), else checked per group (Q17); or
   (b) S * 10^e is a multiple of N: s = e (checked per group, for any k, e.g. 3 or 0.3).
   Otherwise the subquery fails when z is whole and not 0 (3 * avg(1, 1, 2): PostgreSQL's
   average is 1.3333333333333333, q is 4/3, the value 4 is not equal to it).

So the shape translated is: a comparison (=, <>, <, <=, >, >=) of an integer or numeric value
of known scale with a scalar subquery whose only output is avg(y), k * avg(y) or avg(y) * k
(y an integer or a numeric of known scale, k an integer or numeric literal), without GROUP
BY, HAVING, DISTINCT, ORDER BY, LIMIT or window; or with such a term itself, where the
aggregate is computed (HAVING avg(y) > 10: V is computed in place). Any other avg(numeric)
that is not an exact output column is refused (checked once typing is done: check_claimed).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import scales
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("average comparisons")

PLAN_KEY = "pg_avg_compare"  # comparison node.meta: the Plan of its rewrite
AVG_KEY = "pg_avg_value"  # avg node.meta: an average whose value a comparison decides
_SIG_DIGITS = 16  # NUMERIC_MIN_SIG_DIGITS
_BOUND = 2 * 10**_SIG_DIGITS  # |M| below this: the rounding of the average cannot matter (1. above)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)


@dataclass(frozen=True)
class Plan:
    side: str  # "this" or "expression": which operand of the comparison is the subquery
    grid: int  # e: the value is compared as an integer at this many decimals
    factor: Decimal  # k
    sigma: int | None  # decimals of q when z is whole (None: unbounded)
    proven: bool  # A = q whenever z is whole, by the declared scales alone
    integers: bool  # avg of integers: summed as NUMERIC, as PostgreSQL sums them
    sum_scale: int  # the scale of S: r is at least this
    direct: bool = False  # the average is the comparison's operand itself (HAVING avg(x) > 1)


def refusal(type_name: str) -> Exception:
    return unsupported(
        f"avg() of {type_name}",
        hint=(
            "PostgreSQL prints numeric averages with a per-value scale (avg(2, 3) = 2.5000000000000000); "
            "pgbridge computes it for avg(column) as an output column of the outermost SELECT, without "
            "DISTINCT, FILTER, OVER or ORDER BY on it, and compares a value of known scale with a scalar "
            "subquery (SELECT [k *] avg(y) ...); elsewhere use avg(x::float8)"
        ),
    )


def pending(t: Typer, node: exp.Avg, type_name: str) -> None:
    """An avg(integer or numeric) that is no output column: allowed only if a comparison
    claims it (check_claimed); its value is never printed."""
    exact = scales.scale_of(t, node.this) is not None
    if not exact or isinstance(node.this, exp.Distinct) or node.find_ancestor(exp.Window, exp.Filter):
        raise refusal(type_name)
    node.meta[AVG_KEY] = True
    t.avg_values[id(node)] = type_name
    t.unknown_scale.add(id(node))


def is_avg_term(t: Typer, node: exp.Expr) -> bool:
    """avg(y), k * avg(y) or avg(y) * k, in parentheses or not (k a literal)."""
    return _term(t, node) is not None


def _term(t: Typer, node: exp.Expr) -> tuple[exp.Avg, Decimal, int] | None:
    node = _bare(node)
    if isinstance(node, exp.Avg) and id(node) in t.avg_values:
        return node, Decimal(1), 0
    if not isinstance(node, exp.Mul):
        return None
    for avg, k in ((node.expression, node.this), (node.this, node.expression)):
        avg = _bare(avg)
        factor = _literal(k)
        if isinstance(avg, exp.Avg) and id(avg) in t.avg_values and factor is not None:
            return avg, factor, scales.literal_scale(str(abs(factor))) or 0
    return None


def _bare(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _literal(node: exp.Expr) -> Decimal | None:
    node = _bare(node)
    negative = isinstance(node, exp.Neg)
    literal = _bare(node.this) if negative else node
    if not isinstance(literal, exp.Literal) or literal.is_string:
        return None
    value = Decimal(str(literal.this))
    if scales.literal_scale(str(literal.this)) is None:
        return None
    return -value if negative else value


def claim(t: Typer, node: exp.Binary) -> None:
    """Mark a comparison of a known-scale value with an average subquery for rewriting."""
    if not isinstance(node, _COMPARISONS):
        return
    for side, other in (("this", node.expression), ("expression", node.this)):
        select = _avg_select(node.args[side])
        term = _term(t, node.args[side] if select is None else _projection(select))
        a_scale = scales.scale_of(t, other)
        if term is None or a_scale is None or t.types.get(id(other)) not in (T.INT, T.NUMERIC):
            continue
        avg, factor, k_scale = term
        s_scale = scales.scale_of(t, avg.this)
        assert s_scale is not None  # (pending() admits known scales only)
        grid = max(a_scale, k_scale + s_scale)
        sigma = _sigma(factor, k_scale, grid)
        proven = sigma is not None and sigma <= s_scale
        integers = t.types.get(id(avg.this)) == T.INT
        node.meta[PLAN_KEY] = Plan(side, grid, factor, sigma, proven, integers, s_scale, select is None)
        t.avg_claimed.add(id(avg))
        return


def _sigma(factor: Decimal, k_scale: int, grid: int) -> int | None:
    """Decimals of q = z * 10^-e / k for a whole z: e + t - scale of k, K dividing 10^t."""
    digits = int(abs(factor) * 10**k_scale)
    if digits == 0:
        return 0
    for t in range(0, 40):
        if 10**t % digits == 0:
            return max(grid + t - k_scale, 0)
    return None


def _avg_select(node: exp.Expr) -> exp.Select | None:
    node = _bare(node)
    if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select):
        return None
    select = node.this
    extras = ("group", "having", "distinct", "order", "limit", "offset", "windows", "qualify", "with")
    if len(select.expressions) != 1 or any(select.args.get(key) for key in extras):
        return None
    return select


def _projection(select: exp.Select) -> exp.Expr:
    projection = select.expressions[0]
    return projection.this if isinstance(projection, exp.Alias) else projection


def check_claimed(t: Typer) -> None:
    """Every average that is no output column must be decided by a comparison."""
    for key, type_name in t.avg_values.items():
        if key not in t.avg_claimed:
            raise refusal(type_name)


# -- translation -------------------------------------------------------------------------------


@construct.fixup(*_COMPARISONS)
def _rewrite(t: Typer, node: exp.Binary) -> exp.Expr | None:
    plan = node.meta.get(PLAN_KEY)
    if not isinstance(plan, Plan):
        return None
    other_key = "expression" if plan.side == "this" else "this"
    term = node.args[plan.side]
    select = None if plan.direct else _bare(term).this
    projection = term if select is None else select.expressions[0]
    avg = next(n for n in projection.walk() if isinstance(n, exp.Avg) and n.meta.get(AVG_KEY))
    encoded = _encoded(avg.this, plan)
    if select is None:
        node.set(plan.side, exp.Paren(this=encoded))
    elif isinstance(projection, exp.Alias):
        projection.set("this", encoded)
    else:
        select.set("expressions", [encoded])
    scaled = exp.Mul(
        this=exp.Paren(this=node.args[other_key]), expression=exp.Literal.number(2 * 10**plan.grid)
    )
    node.set(other_key, scaled)
    return None


def _encoded(value: exp.Expr, plan: Plan) -> exp.Expr:
    """V = 2 * floor(M / N) + (M mod N <> 0), M = k * S * 10^e, with the module's guards."""
    total = exp.Sum(this=cast(value.copy(), T.NUMERIC) if plan.integers else value.copy())
    count = exp.Count(this=value.copy())
    multiplier = plan.factor * 10**plan.grid
    product = exp.Mul(this=total, expression=_number(multiplier))
    whole = cast(product.copy(), T.INT)
    rest = call("MOD", whole.copy(), count.copy())
    floor = exp.Sub(
        this=exp.IntDiv(this=whole.copy(), expression=count.copy()),
        expression=exp.If(
            this=exp.LT(this=rest.copy(), expression=exp.Literal.number(0)), true=_one(), false=_zero()
        ),
    )
    odd = exp.If(this=exp.EQ(this=rest.copy(), expression=_zero()), true=_zero(), false=_one())
    value_sql = exp.Add(
        this=exp.Mul(this=exp.Literal.number(2), expression=exp.Paren(this=floor)), expression=odd
    )
    too_large = exp.GTE(this=call("ABS", product.copy()), expression=exp.Literal.number(_BOUND))
    ifs = [
        exp.If(this=exp.EQ(this=count.copy(), expression=_zero()), true=exp.Null()),
        exp.If(this=too_large, true=_fails("k * sum * 10^scale is 2e16 or more")),
    ]
    if not plan.proven:
        whole_z = exp.And(
            this=exp.EQ(this=rest.copy(), expression=_zero()),
            expression=exp.NEQ(this=whole.copy(), expression=_zero()),
        )
        ifs.append(
            exp.If(
                this=_and(whole_z, exp.Not(this=exp.Paren(this=_exact_average(total, count, plan)))),
                true=_fails("a value equals it, and PostgreSQL's average may be rounded"),
            )
        )
    return exp.Case(ifs=ifs, default=value_sql)


def _exact_average(total: exp.Expr, count: exp.Expr, plan: Plan) -> exp.Expr:
    """PostgreSQL's average is q itself (2. above), as far as this group can show it."""
    shifted = cast(exp.Mul(this=total.copy(), expression=_number(Decimal(10) ** plan.grid)), T.INT)
    terminates = exp.EQ(this=call("MOD", shifted, count.copy()), expression=_zero())
    within: exp.Expr = exp.true() if plan.grid <= plan.sum_scale else _small(total, count, plan.grid)
    proofs: exp.Expr = _and(terminates, within)
    if plan.sigma is not None and plan.sigma <= _SIG_DIGITS + 9:
        proofs = exp.Or(
            this=exp.Paren(this=proofs), expression=exp.Paren(this=_small(total, count, plan.sigma))
        )
    return proofs


def _small(total: exp.Expr, count: exp.Expr, decimals: int) -> exp.Expr:
    """|S| < 10^(16 - decimals) * N: then r > decimals (1. above)."""
    limit = exp.Mul(this=_number(Decimal(10) ** (_SIG_DIGITS - decimals)), expression=count.copy())
    return exp.LT(this=call("ABS", total.copy()), expression=limit)


def _and(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return exp.And(this=exp.Paren(this=left), expression=exp.Paren(this=right))


def _fails(why: str) -> exp.Expr:
    message = f"pgbridge cannot compare with this average exactly: {why}"
    return cast(call("ERROR", exp.Literal.string(message)), T.INT)


def _number(value: Decimal) -> exp.Expr:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if "." not in text:
        return (
            exp.Literal.number(text)
            if not text.startswith("-")
            else exp.Neg(this=exp.Literal.number(text[1:]))
        )
    return cast(exp.Literal.string(text), T.NUMERIC)


def _one() -> exp.Expr:
    return exp.Literal.number(1)


def _zero() -> exp.Expr:
    return exp.Literal.number(0)
