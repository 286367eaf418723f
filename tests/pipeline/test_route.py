"""One table routes every statement kind, for the session and the pipeline (pgbridge.server.routes)."""

from __future__ import annotations

import pytest

from pgbridge.server.routes import ROUTES, Run, Stage, route_of
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import Kind


def test_every_kind_has_a_route() -> None:
    assert set(ROUTES) == set(Kind)


@pytest.mark.parametrize(
    ("text", "stage", "run"),
    [
        ("SELECT 1", Stage.DATA, Run.PIPELINE),
        ("INSERT INTO shop.t VALUES (1)", Stage.DATA, Run.PIPELINE),
        ("SELECT relname FROM pg_catalog.pg_class", Stage.CATALOG, Run.PIPELINE),
        ("SET search_path = shop", Stage.NONE, Run.SESSION),
        ("BEGIN", Stage.NONE, Run.SESSION),
        ("FETCH 10 FROM c", Stage.NONE, Run.CURSOR),
        ("COPY (SELECT 1) TO STDOUT", Stage.NONE, Run.COPY),
        ("", Stage.NONE, Run.EMPTY),
        ("EXPLAIN SELECT 1", Stage.EXPLAIN, Run.EXPLAIN),
        ("VACUUM", Stage.REFUSED, Run.PIPELINE),
    ],
)
def test_statements_take_their_kinds_route(text: str, stage: Stage, run: Run) -> None:
    route = route_of(parse_statement(text))
    assert (route.stage, route.execute) == (stage, run)
