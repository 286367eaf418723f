"""One tokenization per text: the split's tokens are the ones classification, the strict syntax
check, the session-command parsers and sqlglot's parser read; errors are PostgreSQL's."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlglot.tokens import Tokenizer, TokenType

from pgbridge.sql.names.resolve import resolve
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import DeclareCommand, Kind, SetCommand
from pgbridge.sql.statements.split import split_statements
from pgbridge.sql.translate.pipeline import translate
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import NAMES

SIMPLE_QUERY = """
  set search_path = shop, public;
  select c.name, count(*) from customers c where c.city <> ';' group by c.name;
  declare c1 cursor for select id from orders where status = 'x';
  show search_path
"""


@pytest.fixture
def tokenizations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts sqlglot's tokenizer is run on, by anyone, while the test runs."""
    texts: list[str] = []
    real = Tokenizer.tokenize

    def counted(self: Tokenizer, sql: str) -> list[object]:
        texts.append(sql)
        return real(self, sql)

    monkeypatch.setattr(Tokenizer, "tokenize", counted)
    yield texts


def test_a_simple_query_is_tokenized_once(tokenizations: list[str]) -> None:
    statements = [parse_statement(source) for source in split_statements(SIMPLE_QUERY)]
    assert [s.kind for s in statements] == [Kind.SET, Kind.QUERY, Kind.DECLARE, Kind.SHOW]
    declared = statements[2].command
    assert isinstance(declared, DeclareCommand) and declared.query.ast is not None
    assert declared.query.text == "select id from orders where status = 'x'"
    assert tokenizations == [SIMPLE_QUERY.lstrip()]


def test_a_text_alone_is_tokenized_once(tokenizations: list[str]) -> None:
    statement = parse_statement("select id, name from customers where name like 'a%'")
    assert statement.kind is Kind.QUERY and len(tokenizations) == 1


@pytest.mark.parametrize(
    "text",
    [
        "select 1;  select x y z from customers",
        "select 1;\n\n  select 'a' 'b'",
        "select 1 -- one\n;\n select id,, name from customers",
    ],
)
def test_a_later_statement_reports_positions_as_if_alone(text: str) -> None:
    later = split_statements(text)[1]
    with pytest.raises(PgError) as alone:
        parse_statement(later.text)
    with pytest.raises(PgError) as split:
        parse_statement(later)
    assert (split.value.message, split.value.position) == (alone.value.message, alone.value.position)


def _translated(source_text: str) -> str:
    statement = parse_statement(split_statements(source_text)[-1])
    schema = FixtureSchema()
    return translate(resolve(statement, NAMES, schema), (), schema, text=statement.text).sql


def test_escape_strings_are_read_where_they_stand_in_a_later_statement() -> None:
    assert "'a\\nb'" in _translated("select 1;\n   select E'a\\nb' as x")
    with pytest.raises(PgError) as caught:
        _translated("select 1;\n   select E'\\101' as x")
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED


@pytest.mark.parametrize(
    "text",
    [
        "select 'open",
        "select E'escaped quote \\'",
        'select 1, "open',
        "select 1 /* a */ $$ never closed",
        "select 1 /* nested /* only one */ closed",
        "select U&'abc",
    ],
)
def test_unterminated_tokens_are_placed_as_postgres_places_them(pg: psycopg.Connection, text: str) -> None:
    with pytest.raises(psycopg.errors.SyntaxError) as pg_caught:
        pg.execute(text)
    with pytest.raises(PgError) as caught:
        split_statements(text)
    assert caught.value.sqlstate == SqlState.SYNTAX_ERROR
    assert str(caught.value.position) == pg_caught.value.diag.statement_position


@pytest.mark.parametrize("text", ["select x'1g'", "select b'012'", "select X'12' || x'ab_'"])
def test_bad_digits_in_bit_strings_are_postgres_errors(pg: psycopg.Connection, text: str) -> None:
    with pytest.raises(psycopg.errors.InvalidTextRepresentation) as pg_caught:
        pg.execute(text)
    with pytest.raises(PgError) as caught:
        split_statements(text)
    assert (caught.value.sqlstate, caught.value.message) == (
        SqlState.INVALID_TEXT_REPRESENTATION,
        str(pg_caught.value).splitlines()[0],
    )


@pytest.mark.parametrize(
    ("value", "setting"),
    [(".5", "pgbridge_test.half"), ("+3", "pgbridge_test.plus"), ("-7", "pgbridge_test.minus")],
)
def test_set_values_read_from_the_tokens_as_postgres_shows_them(
    pg: psycopg.Connection, value: str, setting: str
) -> None:
    pg.execute(f"set {setting} = {value}")
    shown = pg.execute(f"show {setting}").fetchone()
    command = parse_statement(f"SET {setting} = {value}").command
    assert isinstance(command, SetCommand) and shown is not None
    assert command.value == shown[0]


@pytest.mark.parametrize(
    "text",
    [
        "select id from customers where id in ($1,$2,$3)",
        "select id from customers where id in ($1,$2,$1,$3)",  # `$1,$` twice: once a dollar quote
        "select id from customers where id in ($1,\n $2,$3)",
        "select $1,$tag$a,$tag$ as x from customers",
        "select id from customers where name = $1||$2",
    ],
)
def test_parameters_against_punctuation_are_parameters(text: str) -> None:
    """A dollar-quote tag starts like an identifier (PostgreSQL's scan.l `dolqdelim`), so `$1,$`
    is a parameter and a comma, never the start of a quote (sqlglot reads a tag `1,`)."""
    tokens = split_statements(text)[0].tokens
    parameters = [t for t in tokens if t.token_type is TokenType.PARAMETER]
    assert len(parameters) == text.count("$") - 2 * text.count("$tag$")
    for token in tokens:  # lines and columns agree with the offsets (sqlglot's parser reports them)
        newline = text.rfind("\n", 0, token.end)
        assert (token.line, token.col) == (text.count("\n", 0, token.end) + 1, token.end - newline)
    assert parse_statement(text).kind is Kind.QUERY
