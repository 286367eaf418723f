"""Argument checks the typing rules share: wanted types, integer-literal arguments, common types.

Each settles an untyped operand ('literal' or $n) to the type its place demands, as
PostgreSQL's function and operator resolution would, and refuses (0A000) what is not allowed.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported


def type_name(type_: str | None) -> str:
    return (type_ or "unknown").lower()


def arg_type(t: Typer, node: exp.Expr | None, target: str | None = None) -> str | None:
    if node is None:
        return None
    if target is not None:
        t.settle(node, target)
    return t.types.get(id(node))


def want(t: Typer, node: exp.Expr | None, allowed: tuple[str, ...], what: str) -> str | None:
    type_ = arg_type(t, node, allowed[0] if node is not None and t.types.get(id(node)) == T.UNKNOWN else None)
    if node is not None and type_ not in allowed:
        raise unsupported(f"{what} of {type_name(type_)}")
    return type_


def want_or_null(t: Typer, node: exp.Expr, allowed: tuple[str, ...], what: str) -> str:
    """Like want(), for functions whose NULL argument is simply NULL (its type: allowed[0])."""
    if isinstance(node, exp.Null):
        return allowed[0]
    if t.types.get(id(node)) == T.UNKNOWN:
        t.settle(node, allowed[0])
    type_ = t.types.get(id(node))
    if type_ not in allowed or type_ is None:
        raise unsupported(f"{what} of {type_name(type_)}")
    return type_


def int_literal(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return -int(node.this.this)
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit():
        return int(node.this)
    return None


def need_literal(node: exp.Expr | None, what: str, minimum: int) -> None:
    value = int_literal(node)
    if node is not None and (value is None or value < minimum):
        raise unsupported(f"{what} other than an integer literal >= {minimum}")


def settle_common(t: Typer, nodes: list[exp.Expr]) -> str | None:
    result = T.common_type([t.types.get(id(n)) for n in nodes])
    if result is None:
        raise unsupported("mixing these types in one CASE/COALESCE/GREATEST/LEAST")
    for item in nodes:
        t.settle(item, result)
    return result


def operands(t: Typer, node: exp.Binary) -> tuple[str | None, str | None]:
    """A binary operator's operand types, an untyped side settled to the other side's type."""
    left, right = t.types.get(id(node.this)), t.types.get(id(node.expression))
    if left == T.UNKNOWN and right not in (None, T.UNKNOWN):
        t.settle(node.this, _settle_target(right, node))
        left = t.types.get(id(node.this))
    elif right == T.UNKNOWN and left not in (None, T.UNKNOWN):
        t.settle(node.expression, _settle_target(left, node))
        right = t.types.get(id(node.expression))
    elif left == T.UNKNOWN and right == T.UNKNOWN and isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
        t.mark_undecidable(node.this)
        t.mark_undecidable(node.expression)
    return left, right


def _settle_target(other: str | None, node: exp.Binary) -> str | None:
    # date + $1 means date + integer; timestamp - $1 would be an interval: PostgreSQL's own
    # resolution picks the same-type operator first, which we mirror except for dates.
    if other == T.DATE and isinstance(node, (exp.Add, exp.Sub)):
        return T.INT
    return other
