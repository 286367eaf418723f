"""The statement scanner against a real PostgreSQL 15: same texts, same statement count.

Each text is sent as one simple-protocol Query; PostgreSQL returns one result per statement
it saw. The scanner's PostgreSQL reading (standard_conforming_strings on) must agree, and
wherever the readers could differ, `statement_count` must refuse to give a number.
"""

from __future__ import annotations

import psycopg
import pytest

from pgbridge.policy.rawtext import _scan, statement_count
from tests.support.postgres import PostgresServer

TEXTS = [
    ("SELECT E'\\\\'; SELECT 2; --'", 2),
    ("SELECT e'\\''; SELECT 2; --'", 2),
    ("SELECT 'a\\'; SELECT 2; --'", 2),
    ("SELECT 1 /* outer /* inner */ ; SELECT 2; */", 1),
    ("SELECT 1 -- a comment\n; SELECT 2", 2),
    ("SELECT $$;$$; SELECT 2", 2),
    ("SELECT $q$ it's $q$; SELECT 2", 2),
    ("SELECT $a$ ; SELECT 2; $a$", 1),
    ("SELECT 'it''s; SELECT 2'", 1),
    ('SELECT 1 AS "x; SELECT 2"', 1),
    ('SELECT 1 AS "x"";"; SELECT 2', 2),
    ("SELECT U&'\\0041'; SELECT 2", 2),
    ("SELECT B'101'; SELECT X'1F'", 2),
    ("SELECT 1 AS a$b; SELECT $x$;$x$", 2),
]


def _postgres_count(conn: psycopg.Connection, text: str) -> int:
    cursor = conn.cursor()
    cursor.execute(text.encode(), prepare=False)  # bytes: sent as-is, simple protocol
    results = 1
    while cursor.nextset():
        results += 1
    return results


@pytest.mark.parametrize(("text", "expected"), TEXTS)
def test_scanner_reads_like_postgres(postgres: PostgresServer, text: str, expected: int) -> None:
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("SET standard_conforming_strings = on")
        assert _postgres_count(conn, text) == expected
    scanned = _scan(text, backslash_escapes=False)
    if "/* inner */" in text:
        assert scanned is None, "nested comments are refused: BigQuery does not nest them"
    else:
        assert scanned == expected
    count = statement_count(text)
    assert count is None or count == expected, "a definite answer must be PostgreSQL's answer"
    if expected > 1:
        assert count != 1, "a hidden second statement must never read as one"
