"""Which way a statement goes: one table from its kind to how Parse, Describe and Execute treat it.

The classifier (pgbridge.sql.statements.classify) says what a statement is; this table says who answers
it. Everything that routes on a kind reads it, so Parse, Describe and Execute cannot
disagree. A kind missing from the table is a bug caught at import, not a statement that
slips through a default.

| route    | Parse                  | Describe                          | Execute                      |
| -------- | ---------------------- | --------------------------------- | ---------------------------- |
| SESSION  | kept as text           | the session's own answer          | the session (SET, BEGIN, ...) |
| CATALOG  | kept as text           | the catalog engine, cached        | the catalog engine, audited  |
| DATA     | planned (refusals      | the plan's parameters, and the    | admit, start, result filter  |
|          | audited)               | dry run's columns for a query     |                              |
| EXPLAIN  | kept as text           | one text column, QUERY PLAN       | the gateway's plan, audited; |
|          |                        |                                   | refused as a cursor's query  |
| REFUSED  | kept as text           | the declared parameters, no data  | refused (42501)              |
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from pgbridge.sql.statements.model import Kind, Statement


class Route(enum.Enum):
    SESSION = "session"  # answered by the session: settings, transactions, cursors, COPY, empty
    CATALOG = "catalog"  # pg_catalog / information_schema: the local catalog engine
    DATA = "data"  # a query, DML or DDL: resolved, checked, translated, run on the backend
    EXPLAIN = "explain"  # the gateway's own plan for the statement inside, nothing run
    REFUSED = "refused"  # never runs: utility statements, and what could not be classified


ROUTES: Mapping[Kind, Route] = MappingProxyType(
    {
        Kind.EMPTY: Route.SESSION,
        Kind.SET: Route.SESSION,
        Kind.RESET: Route.SESSION,
        Kind.SHOW: Route.SESSION,
        Kind.TRANSACTION: Route.SESSION,
        Kind.DISCARD: Route.SESSION,
        Kind.DEALLOCATE: Route.SESSION,
        Kind.LISTEN: Route.SESSION,
        Kind.UNLISTEN: Route.SESSION,
        Kind.DECLARE: Route.SESSION,
        Kind.FETCH: Route.SESSION,
        Kind.CLOSE: Route.SESSION,
        Kind.COPY: Route.SESSION,
        Kind.CATALOG: Route.CATALOG,
        Kind.QUERY: Route.DATA,
        Kind.DML: Route.DATA,
        Kind.DDL: Route.DATA,
        Kind.UTILITY: Route.REFUSED,
        Kind.UNKNOWN: Route.REFUSED,
    }
)
if set(ROUTES) != set(Kind):
    raise RuntimeError(f"statement kinds without a route: {sorted(k.name for k in set(Kind) - set(ROUTES))}")


def route_of(statement: Statement) -> Route:
    """The statement's route. EXPLAIN is a utility statement the gateway answers itself."""
    if statement.kind is Kind.UTILITY and statement.tag == "EXPLAIN":
        return Route.EXPLAIN
    return ROUTES[statement.kind]
