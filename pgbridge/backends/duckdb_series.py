"""Series in FROM as DuckDB's streaming table function instead of a list to unnest.

BigQuery has no series table function, so the translation writes generate_series() as
UNNEST(GENERATE_ARRAY(...)), which the DuckDB dialect renders as UNNEST(GENERATE_SERIES(...)):
DuckDB builds the whole list before the first row, in memory its memory_limit does not
account for. `SELECT count(*) FROM generate_series(1, 300000000)` took a minute and gigabytes
(issue 10). DuckDB's generate_series table function yields the same rows — same bounds and
step, end included, no rows for a NULL bound — a vector at a time.

Only a series standing as a FROM item (or a join's) whose arguments do not depend on a row
(no column, no subquery) is rewritten: DuckDB table functions are not lateral.
"""

from __future__ import annotations

from sqlglot import exp


def stream_series(tree: exp.Expr) -> bool:
    """Rewrite `tree` in place; True when something changed."""
    changed = False
    for unnest in list(tree.find_all(exp.Unnest)):
        series = unnest.expressions[0] if len(unnest.expressions) == 1 else None
        if not isinstance(series, exp.GenerateSeries) or not isinstance(unnest.parent, (exp.From, exp.Join)):
            continue
        if series.find(exp.Column, exp.Select) is not None or unnest.args.get("offset"):
            continue
        unnest.replace(exp.Table(this=series.copy(), alias=unnest.args.get("alias")))
        changed = True
    return changed
