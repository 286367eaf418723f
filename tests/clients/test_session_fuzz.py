"""The session survives everything (issue 12, item 7): hypothesis drives Parse / Bind /
Describe / Execute / Sync, and simple queries, with generated SQL against a real gateway over
a real socket (tests/support/rawclient.py). The SQL is built from the tokenizer's edge cases:
`$n` against punctuation (`($1,$2)`, `$1::int8`, `$1$`), dollar quotes with and without tags,
E'' strings with escapes, comments before keywords (`/* x */ EXPLAIN`), nested comments,
unbalanced quotes, stray semicolons, non-ASCII text; parameters are placed, counted wrongly,
typed, sent as text or binary, NULL or garbage.

Whatever comes in, the gateway answers with ReadyForQuery after Sync, never closes the
connection and never sends FATAL (the protocol requires none for well-framed messages), and
the session still answers `SELECT 1` afterwards. An XX000 would be a bug of its own, but the
promise tested here is the first issue's: an unexpected exception costs one statement, never
the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgbridge.wire import messages as m
from tests.support.gateway import RunningGateway
from tests.support.rawclient import RawClient

# Statement openings, including comments before keywords and words no statement starts with.
OPENINGS = [
    "SELECT ",
    "select ",
    "/* crystaldba */ SELECT ",
    "-- note\nSELECT ",
    "/* a /* nested */ b */ SELECT ",
    "EXPLAIN ",
    "/* tool */ EXPLAIN (FORMAT JSON) SELECT ",
    "EXPLAIN ANALYZE SELECT ",
    "WITH w AS (SELECT 1 AS a) SELECT ",
    "SELEC ",
    "SHOW ",
    "SET ",
    "BEGIN; SELECT ",
    "LOCK TABLE shop.products IN ACCESS SHARE MODE; SELECT ",
    "COPY (SELECT ",
    "DECLARE c CURSOR FOR SELECT ",
    "VALUES (",
    "(",
    "",
]
# Pieces between them: parameters against punctuation, quotes of every kind, casts, names.
PIECES = [
    "$1",
    "$2",
    "$3",
    "$1,$2",
    "$1,$2,$3",
    "($1,$2,$3)",
    "IN ($1,$2)",
    "$1::int8",
    "$1::text",
    "$2::numeric",
    "$1$",
    "$1$$",
    "$$",
    "$$ a $$",
    "$$$",
    "$tag$ x $tag$",
    "$tag$ unclosed",
    "$0",
    "$99999999999",
    "'a'",
    "'it''s'",
    "E'\\''",
    "E'\\x41\\n'",
    "E'unclosed",
    "'unclosed",
    '"quoted id"',
    '"',
    "U&'\\0041'",
    "/*",
    "*/",
    "--",
    "\n",
    ";",
    ",",
    "::",
    "(",
    ")",
    "[",
    "]",
    "1",
    "1.5e3",
    "NULL",
    "*",
    "id",
    "name",
    "FROM shop.products",
    "FROM shop.products LIMIT 2",
    "FROM pg_catalog.pg_class LIMIT 2",
    "FROM customers WHERE id = $1",
    "WHERE",
    "ORDER BY 1",
    "LIMIT $1",
    "current_setting('search_path')",
    "now()",
    "é",
    "\u00a0",
    "\U0001f600",
]
# What a parameter's bytes may be: text, a binary int8, empty, NULL, invalid UTF-8.
VALUES = st.sampled_from([b"1", b"2", b"abc", b"", b"\x00\x00\x00\x00\x00\x00\x00\x01", b"\xff\xfe", None])
OIDS = st.sampled_from([0, 0, 20, 25, 23, 1700, 1184, 114, 16, 17, 999999])

statements = st.builds(
    lambda opening, pieces: (opening + " ".join(pieces)).replace("\x00", ""),  # NUL ends a C string
    st.sampled_from(OPENINGS),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=10),
)


@pytest.fixture(scope="module")
def client(gateway: RunningGateway) -> Iterator[RawClient]:
    # Tickets instead of waiting for approvals, and a bound on every statement.
    with RawClient.login(gateway, "fuzz", ("analyst",), timeout=60) as raw:
        raw.simple("SET pgbridge.approval = ticket; SET statement_timeout = '10s'")
        yield raw


def _answer_until_ready(client: RawClient) -> list[m.BackendMessage]:
    """Read to ReadyForQuery; a COPY FROM STDIN the server started is failed by the client."""
    seen = []
    while True:
        message = client.next()  # ConnectionError if the gateway closed the session
        seen.append(message)
        if isinstance(message, m.CopyInResponse):
            client.send(m.CopyFail("fuzz"))
        if isinstance(message, m.ReadyForQuery):
            return seen


def _check_alive(client: RawClient, seen: list[m.BackendMessage]) -> None:
    fatal = [x for x in seen if isinstance(x, m.ErrorResponse) and x.fields.get("S") in ("FATAL", "PANIC")]
    assert not fatal, fatal
    if isinstance(seen[-1], m.ReadyForQuery) and seen[-1].status != "I":
        client.send(m.Query("ROLLBACK"))
        _answer_until_ready(client)
    client.send(m.Query("SELECT 1"))
    rows = [x for x in _answer_until_ready(client) if isinstance(x, m.DataRow)]
    assert len(rows) == 1


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sql=statements,
    oids=st.lists(OIDS, max_size=4),
    values=st.lists(VALUES, max_size=4),
    formats=st.lists(st.sampled_from([0, 1]), max_size=4),
    result_formats=st.lists(st.sampled_from([0, 1]), max_size=2),
    describe=st.sampled_from(["S", "P", None]),
    max_rows=st.sampled_from([0, 1]),
)
def test_extended_protocol_never_ends_the_session(
    client: RawClient,
    sql: str,
    oids: list[int],
    values: list[bytes | None],
    formats: list[int],
    result_formats: list[int],
    describe: str | None,
    max_rows: int,
) -> None:
    messages: list[m.FrontendMessage] = [
        m.Parse("", sql, tuple(oids)),
        m.Bind("", "", tuple(formats), tuple(values), tuple(result_formats)),
    ]
    if describe is not None:
        messages.append(m.Describe(describe, ""))
    messages += [m.Execute("", max_rows), m.Sync()]
    client.send(*messages)
    _check_alive(client, _answer_until_ready(client))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sql=st.one_of(statements, st.text(max_size=40)))
def test_simple_query_never_ends_the_session(client: RawClient, sql: str) -> None:
    client.send(m.Query(sql.replace("\x00", "")))
    _check_alive(client, _answer_until_ready(client))
