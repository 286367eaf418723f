"""split_statements follows PostgreSQL's lexical rules for where a statement ends."""

from __future__ import annotations

import pytest

from pgbridge.sql.statements.split import split_statements
from pgbridge.wire.errors import PgError, SqlState


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        (";", []),
        (" ; ;; ", []),
        ("select 1", ["select 1"]),
        ("select 1;", ["select 1"]),
        ("select 1; select 2", ["select 1", "select 2"]),
        ("select 'a;b'; select 2", ["select 'a;b'", "select 2"]),
        ("select 'it''s;'; select 2", ["select 'it''s;'", "select 2"]),
        ("select E'a\\';b'; select 2", ["select E'a\\';b'", "select 2"]),
        ("select e'\\\\'; select 2", ["select e'\\\\'", "select 2"]),
        ("select 'a\\'; select 2", ["select 'a\\'", "select 2"]),  # standard strings: \ is a character
        ('select "a;b" from t; select 2', ['select "a;b" from t', "select 2"]),
        ('select "x""y;"; select 2', ['select "x""y;"', "select 2"]),
        ("select $$a;b$$; select 2", ["select $$a;b$$", "select 2"]),
        ("select $fn$ a $$ ; $ $fn$; select 2", ["select $fn$ a $$ ; $ $fn$", "select 2"]),
        ("select $1; select $2", ["select $1", "select $2"]),
        ("select a$b; select 2", ["select a$b", "select 2"]),
        ("select 1 -- c;omment\n; select 2", ["select 1 -- c;omment", "select 2"]),
        (
            "select 1 /* a; /* nested; */ still; */ ; select 2",
            ["select 1 /* a; /* nested; */ still; */", "select 2"],
        ),
        ("-- only a comment", []),
        ("/* c */ ; select 1", ["select 1"]),
        ("select 'line\nbreak'; select 2", ["select 'line\nbreak'", "select 2"]),
        ("select 'é;ü'; select '☃'", ["select 'é;ü'", "select '☃'"]),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert [statement.text for statement in split_statements(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "select 'open",
        'select "open',
        "select $$ never closed",
        "select $tag$ closed with another $other$",
        "select 1 /* open",
        "select 1 /* nested /* only one */ closed",
        "select E'escaped quote \\'",
    ],
)
def test_unterminated_is_a_syntax_error(text: str) -> None:
    with pytest.raises(PgError) as caught:
        split_statements(text)
    assert caught.value.sqlstate == SqlState.SYNTAX_ERROR
    assert "unterminated" in caught.value.message
