"""Describing a statement on DuckDB without computing anything large.

DuckDB evaluates constant expressions while it binds a statement: table-function arguments
(`UNNEST(GENERATE_SERIES(1, 300000000))` builds the whole list) and constant folding of
scalar calls (`repeat('x', 300000000)`). Binding is what a dry run, a Describe and EXPLAIN ask
for, and it cannot be interrupted: EXPLAIN of a large series ran for 41 s (issue 10).

The statement bound for a description is therefore a copy whose size-making calls make
almost nothing: a series ends where it starts, and repeat / lpad / rpad get a count of at most
zero. The result types are unchanged (the same functions over the same argument types), and
every parameter stays referenced (DuckDB refuses values for parameters a statement lacks).
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError


@functools.lru_cache(maxsize=1024)
def for_describe(duck_sql: str) -> str:
    """duck_sql with every series, repeat and pad shrunk to (almost) nothing."""
    try:
        tree = sqlglot.parse_one(duck_sql, read="duckdb")
    except SqlglotError:
        return duck_sql  # DuckDB reports the syntax error itself
    changed = False
    for node in list(tree.find_all(exp.GenerateSeries, exp.Repeat, exp.Pad)):
        changed |= _shrink(node)
    return tree.sql("duckdb") if changed else duck_sql


def _shrink(node: exp.Expr) -> bool:
    if isinstance(node, exp.GenerateSeries):
        start, end = node.args.get("start"), node.args.get("end")
        if start is None or end is None:
            return False
        # CASE keeps `end` (its parameters, its type) but folds to `start`: one element at most.
        node.set("end", exp.case().when(exp.true(), start.copy()).else_(end))
        return True
    key = "times" if isinstance(node, exp.Repeat) else "expression"
    count = node.args.get(key)
    if count is None:
        return False
    node.set(key, exp.Least(this=count, expressions=[exp.Literal.number(0)]))
    return True
