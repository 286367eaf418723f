"""One table routes every statement kind (pgbridge.server.pipeline.route)."""

from __future__ import annotations

import pytest

from pgbridge.server.pipeline.route import ROUTES, Route, route_of
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import Kind


def test_every_kind_has_a_route() -> None:
    assert set(ROUTES) == set(Kind)


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("SELECT 1", Route.DATA),
        ("INSERT INTO shop.t VALUES (1)", Route.DATA),
        ("SELECT relname FROM pg_catalog.pg_class", Route.CATALOG),
        ("SET search_path = shop", Route.SESSION),
        ("BEGIN", Route.SESSION),
        ("FETCH 10 FROM c", Route.SESSION),
        ("COPY (SELECT 1) TO STDOUT", Route.SESSION),
        ("", Route.SESSION),
        ("EXPLAIN SELECT 1", Route.EXPLAIN),
        ("VACUUM", Route.REFUSED),
    ],
)
def test_statements_take_their_kinds_route(text: str, route: Route) -> None:
    assert route_of(parse_statement(text)) is route
