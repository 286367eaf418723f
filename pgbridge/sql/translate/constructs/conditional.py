"""CASE WHEN, COALESCE, NULLIF, GREATEST and LEAST.

Their branches meet in one common type. greatest() and least() ignore NULLs in PostgreSQL,
where BigQuery returns NULL if any argument is NULL: each argument is wrapped in a COALESCE
over the others. CASE x WHEN ... is refused (write CASE WHEN x = ...).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.checks import settle_common
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("conditional")


@construct.rule(exp.Case)
def _case(t: Typer, node: exp.Case) -> str | None:
    if node.this is not None:
        raise unsupported("CASE x WHEN ...", hint="write CASE WHEN x = ... instead")
    branches = [i.args["true"] for i in node.args.get("ifs", [])]
    if node.args.get("default") is not None:
        branches.append(node.args["default"])
    for cond in node.args.get("ifs", []):
        t.settle(cond.this, T.BOOL)
    return settle_common(t, branches)


@construct.rule(exp.If)
def _if(t: Typer, node: exp.If) -> str | None:
    return None  # only the WHEN ... THEN parts of a CASE


@construct.rule(exp.Coalesce, exp.Greatest, exp.Least)
def _coalesce(t: Typer, node: exp.Func) -> str | None:
    return settle_common(t, [node.this, *node.expressions])


@construct.rule(exp.Nullif)
def _nullif(t: Typer, node: exp.Nullif) -> str | None:
    return settle_common(t, [node.this, node.expression])


@construct.fixup(exp.Greatest, exp.Least)
def _greatest_fix(t: Typer, node: exp.Func) -> exp.Expr:
    args = [node.this, *node.expressions]
    # COALESCE(a_i, a_1, ..., a_n) is a_i unless NULL, then some other non-NULL argument:
    # the greatest of those is the greatest non-NULL argument, and NULL only if all are.
    rotated = [exp.Coalesce(this=a.copy(), expressions=[o.copy() for o in args if o is not a]) for a in args]
    return type(node)(this=rotated[0], expressions=rotated[1:])
