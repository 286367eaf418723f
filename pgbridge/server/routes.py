"""One table: how Parse, Describe and Execute treat each kind of statement, in the session and
in the pipeline alike, so they cannot disagree. A kind missing from it fails at import.

`stage` says which part of the pipeline answers it (none: the session answers it itself).
Parse either plans the statement in the pipeline or only remembers it (the session answers it
itself). Describe (and Bind, which needs the same types) takes the parameter types from the
client's Parse, from the plan, or from the catalog engine; and names the columns the
statement will return: none, a setting's (SHOW), the plan's one text column (EXPLAIN), an
open cursor's (FETCH), or the pipeline's answer. Execute hands the statement to one family of
handlers (dispatch.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pgbridge.sql.statements.model import Kind, Statement


class Plan(enum.Enum):
    KEEP = "remembered as written: the session answers it"
    PIPELINE = "pipeline.prepare"


class Params(enum.Enum):
    DECLARED = "as the client declared them in Parse"
    PLAN = "the plan's, where the client sent 0"
    CATALOG = "the catalog engine's, through pipeline.describe"


class Columns(enum.Enum):
    NONE = "NoData"
    SETTING = "the setting SHOW names"
    PLAN_TEXT = "one column, QUERY PLAN: text, or json for EXPLAIN (FORMAT JSON)"
    CURSOR = "the columns of the cursor FETCH reads"
    PIPELINE = "pipeline.describe"


class Run(enum.Enum):
    EMPTY = "EmptyQueryResponse"
    SESSION = "a setting, the transaction status, the session's statements (local.py)"
    CURSOR = "DECLARE, FETCH, MOVE, CLOSE (cursors.py)"
    COPY = "COPY (query) TO STDOUT (copy_out.py)"
    EXPLAIN = "pipeline.explain"
    REFUSE = "refused and audited: not classified"
    PIPELINE = "pipeline.execute"


class Stage(enum.Enum):
    NONE = "answered by the session"
    CATALOG = "the local catalog engine (pg_catalog / information_schema)"
    DATA = "resolved, checked, translated, admitted, run on the backend"
    EXPLAIN = "the gateway's own plan for the statement inside, nothing run"
    REFUSED = "never runs: utility statements, and what could not be classified"


@dataclass(frozen=True, slots=True)
class Route:
    """How Parse, Bind and Describe (parameters, columns) and Execute treat a statement."""

    parse: Plan
    params: Params
    describe: Columns
    execute: Run
    stage: Stage = Stage.NONE


_KEEP, _PIPELINE = Plan.KEEP, Plan.PIPELINE
_DECLARED, _PLAN = Params.DECLARED, Params.PLAN
_SESSION = Route(_KEEP, _DECLARED, Columns.NONE, Run.SESSION)
_DATA = Route(_PIPELINE, _PLAN, Columns.PIPELINE, Run.PIPELINE, Stage.DATA)

ROUTES: dict[Kind, Route] = {
    Kind.EMPTY: Route(_KEEP, _DECLARED, Columns.NONE, Run.EMPTY),
    Kind.SET: _SESSION,
    Kind.RESET: _SESSION,
    Kind.SHOW: Route(_KEEP, _DECLARED, Columns.SETTING, Run.SESSION),
    Kind.TRANSACTION: _SESSION,
    Kind.DISCARD: _SESSION,
    Kind.DEALLOCATE: _SESSION,
    Kind.LISTEN: _SESSION,
    Kind.UNLISTEN: _SESSION,
    Kind.LOCK: _SESSION,
    Kind.DECLARE: Route(_KEEP, _DECLARED, Columns.NONE, Run.CURSOR),
    Kind.FETCH: Route(_KEEP, _DECLARED, Columns.CURSOR, Run.CURSOR),
    Kind.CLOSE: Route(_KEEP, _DECLARED, Columns.NONE, Run.CURSOR),
    Kind.COPY: Route(_KEEP, _DECLARED, Columns.NONE, Run.COPY),
    Kind.QUERY: _DATA,
    Kind.CATALOG: Route(_PIPELINE, Params.CATALOG, Columns.PIPELINE, Run.PIPELINE, Stage.CATALOG),
    Kind.DML: _DATA,
    Kind.DDL: _DATA,  # the pipeline refuses it by policy
    # Utility statements reach the pipeline, which refuses them (audited); EXPLAIN is the one
    # utility with its own route.
    Kind.UTILITY: Route(_PIPELINE, _PLAN, Columns.PIPELINE, Run.PIPELINE, Stage.REFUSED),
    Kind.UNKNOWN: Route(_PIPELINE, _DECLARED, Columns.PIPELINE, Run.REFUSE, Stage.REFUSED),
}
if set(ROUTES) != set(Kind):
    raise RuntimeError(f"statement kinds without a route: {sorted(k.name for k in set(Kind) - set(ROUTES))}")
EXPLAIN = Route(_PIPELINE, _DECLARED, Columns.PLAN_TEXT, Run.EXPLAIN, Stage.EXPLAIN)


def route_of(statement: Statement) -> Route:
    if statement.kind is Kind.UTILITY and statement.tag == "EXPLAIN":
        return EXPLAIN
    return ROUTES[statement.kind]
