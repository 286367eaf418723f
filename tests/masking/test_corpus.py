"""The masking corpus at planning level: every attempt is masked, fails alike, or is refused."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.masking.corpus import (
    ANALYST_ROLES,
    CORPUS,
    EXEMPT_ROLES,
    FAILS,
    MASKED,
    REFUSED,
    SECRET_FRAGMENTS,
    demo_settings,
    twin_customer_rows,
)
from tests.masking.harness import open_duckdb, parse, plan_and_run, qualified, to_bytes

SETTINGS = demo_settings()
# DuckDB orders `SELECT *` over USING / NATURAL joins differently from PostgreSQL; the gateway
# always plans the resolved form, whose stars the resolver expanded in PostgreSQL's order.
_STAR_JOIN = ("USING (", "NATURAL JOIN")


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_duckdb()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def twin() -> Iterator[duckdb.DuckDBPyConnection]:
    """The same customers, with every clear value that masking hides changed."""
    connection = open_duckdb(twin_customer_rows())
    yield connection
    connection.close()


def _leaks(data: bytes, sql: str) -> list[str]:
    # A fragment the statement itself spells out is the client's own literal, not a leak.
    return [f for f in SECRET_FRAGMENTS if f.encode() in data and f not in sql]


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 240
    assert sum(e == MASKED for _, e in CORPUS) >= 150
    assert sum(e == REFUSED for _, e in CORPUS) >= 30 and sum(e == FAILS for _, e in CORPUS) >= 10


def _forms(sql: str) -> list[str]:
    star_join = "*" in sql and any(marker in sql for marker in _STAR_JOIN)
    return ["qualified"] if star_join else ["qualified", "as_parsed"]


CASES = [(sql, e, form) for sql, e in CORPUS for form in _forms(sql)]


@pytest.mark.parametrize(("sql", "expectation", "form"), CASES, ids=[f"{f}-{s[:70]}" for s, _, f in CASES])
def test_corpus(con: duckdb.DuckDBPyConnection, sql: str, expectation: str, form: str) -> None:
    ast = qualified(sql) if form == "qualified" else parse(sql)
    if expectation == REFUSED:
        with pytest.raises(PgError) as info:
            plan_and_run(con, ast, ANALYST_ROLES, SETTINGS)
        assert info.value.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE, info.value
        assert "refused" in info.value.message
        return
    if expectation == FAILS:
        with pytest.raises(duckdb.Error):
            plan_and_run(con, ast, ANALYST_ROLES, SETTINGS)
        return
    _, _, data = plan_and_run(con, ast, ANALYST_ROLES, SETTINGS)
    assert _leaks(data, sql) == []


def _outcome(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    try:
        _, table, _ = plan_and_run(con, qualified(sql), ANALYST_ROLES, SETTINGS)
    except duckdb.Error as error:
        return type(error).__name__
    plan, _, _ = plan_and_run(con, qualified(sql), ANALYST_ROLES, SETTINGS)
    masked = [plan.apply(b) for b in table.to_batches()]
    return sorted(repr(row) for batch in masked for row in batch.to_pylist())


@pytest.mark.slow  # the corpus once more, on the twin warehouse
@pytest.mark.parametrize("sql", [s for s, e in CORPUS if e != REFUSED], ids=lambda s: s[:70])
def test_outcome_does_not_depend_on_clear_values(
    con: duckdb.DuckDBPyConnection, twin: duckdb.DuckDBPyConnection, sql: str
) -> None:
    """Non-interference: with the masked clear values changed and everything the role may see
    kept, every accepted statement returns the same rows, or fails the same way. A statement
    whose work depended on a clear value (timing, errors, row counts) would differ here."""
    assert _outcome(con, sql) == _outcome(twin, sql)


def test_twin_differs_in_the_clear(con: duckdb.DuckDBPyConnection, twin: duckdb.DuckDBPyConnection) -> None:
    """The non-interference check can fail: the twin's clear values differ from the original's."""
    query = "SELECT ssn, card_number, phone FROM shop.customers ORDER BY id"
    assert con.sql(query).fetchall() != twin.sql(query).fetchall()
    assert [r[-4:] for r in con.sql("SELECT ssn FROM shop.customers ORDER BY id").fetchall()[0]] == [
        r[-4:] for r in twin.sql("SELECT ssn FROM shop.customers ORDER BY id").fetchall()[0]
    ]


def test_corpus_would_leak_without_masking(con: duckdb.DuckDBPyConnection) -> None:
    """The leak check can fail: most masked queries carry clear values before masking."""
    leaking = 0
    for sql, expectation in CORPUS:
        if expectation == MASKED:
            try:
                plan, raw, _ = plan_and_run(con, qualified(sql), EXEMPT_ROLES, SETTINGS)
            except duckdb.Error:  # on clear values some probes fail: that is the channel
                continue
            assert plan.masks == ()
            leaking += bool(_leaks(to_bytes(raw.schema, raw.to_batches()), sql))
    assert leaking >= 60


@pytest.mark.parametrize("sql", [s for s, e in CORPUS if e == REFUSED and s.startswith("SELECT")][:20])
def test_exempt_role_is_not_refused(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    plan, _, _ = (
        plan_and_run(con, qualified(sql), EXEMPT_ROLES, SETTINGS) if "mystery" not in sql else (None,) * 3
    )
    assert plan is None or plan.masks == ()
