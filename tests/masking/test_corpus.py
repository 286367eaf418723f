"""The masking corpus at planning level: every attempt is masked or refused, never clear."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.masking.corpus import (
    ANALYST_ROLES,
    CORPUS,
    EXEMPT_ROLES,
    MASKED,
    REFUSED,
    SECRET_FRAGMENTS,
    demo_settings,
)
from tests.masking.harness import open_duckdb, parse, plan_and_run, qualified, to_bytes

SETTINGS = demo_settings()


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_duckdb()
    yield connection
    connection.close()


def _leaks(data: bytes) -> list[str]:
    return [fragment for fragment in SECRET_FRAGMENTS if fragment.encode() in data]


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 80
    assert sum(e == MASKED for _, e in CORPUS) >= 40 and sum(e == REFUSED for _, e in CORPUS) >= 40


@pytest.mark.parametrize(("sql", "expectation"), CORPUS, ids=[s[:70] for s, _ in CORPUS])
@pytest.mark.parametrize("form", ["qualified", "as_parsed"])
def test_corpus(con: duckdb.DuckDBPyConnection, sql: str, expectation: str, form: str) -> None:
    if expectation == REFUSED:
        with pytest.raises(PgError) as info:
            ast = qualified(sql) if form == "qualified" else parse(sql)
            plan_and_run(con, ast, ANALYST_ROLES, SETTINGS)
        assert info.value.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE, info.value
        assert "refused" in info.value.message
        return
    ast = qualified(sql) if form == "qualified" else parse(sql)
    _, _, data = plan_and_run(con, ast, ANALYST_ROLES, SETTINGS)
    assert _leaks(data) == []


def test_corpus_would_leak_without_masking(con: duckdb.DuckDBPyConnection) -> None:
    """The leak check can fail: most masked queries carry clear values before masking."""
    leaking = 0
    for sql, expectation in CORPUS:
        if expectation == MASKED:
            plan, raw, _ = plan_and_run(con, qualified(sql), EXEMPT_ROLES, SETTINGS)
            assert plan.masks == ()
            leaking += bool(_leaks(to_bytes(raw.schema, raw.to_batches())))
    assert leaking >= 60


@pytest.mark.parametrize("sql", [s for s, e in CORPUS if e == REFUSED and s.startswith("SELECT")][:20])
def test_exempt_role_is_not_refused(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    plan, _, _ = (
        plan_and_run(con, qualified(sql), EXEMPT_ROLES, SETTINGS) if "mystery" not in sql else (None,) * 3
    )
    assert plan is None or plan.masks == ()
