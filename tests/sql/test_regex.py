"""POSIX regular expressions (~ ~* !~ !~*, regexp_* functions, substring from), SIMILAR TO
and LIKE ... ESCAPE: the real PostgreSQL (C collation) versus the translation on DuckDB's RE2,
and the patterns that stay refused because the engines read them differently."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline

# Subjects with newlines, Unicode letters (the Kelvin sign folds to k in Unicode, not in C),
# a vertical tab, backslashes, empty strings and NULL.
_WORDS = (
    "(values (1, 'abc'), (2, 'a\nb'), (3, 'ÉCOLE école'), (4, 'K\u212a k'), (5, ''), (6, cast(null as text)),"
    " (7, 'x1 y22 z333'), (8, 'tab\there\x0bvt'), (9, 'back\\slash'), (10, 'aaa bbb aaa'),"
    " (11, 'Ünïcode ☃ 42')) as w(k, s)"
)

MATCH_CASES = [
    "select id, name ~ '^[A-Z]' from customers order by id",
    "select id, name ~* '^[a-c]', name !~ 'e$', name !~* 'E$' from customers order by id",
    f"select k, s ~ 'a.b', s ~ '^a[^x]b$' from {_WORDS} order by k",
    f"select k, s ~* 'école', s ~* 'k', s ~ '[[:alpha:]]+', s ~ '[[:upper:]]' from {_WORDS} order by k",
    rf"select k, s ~ '\d{{3}}', s ~ '\s', s ~ '^\S+$', s ~ '\w', s ~ '\W' from {_WORDS} order by k",
    rf"select k, s ~ '\\', s ~ '[\\]', s ~ '\t', s ~ '\v', s ~ '[[:space:]]vt' from {_WORDS} order by k",
    f"select k, s ~ '', s ~ 'a|b', s ~ '(ab|c)+', s ~ 'a{{2,3}}', s ~ '☃' from {_WORDS} order by k",
    f"select k, regexp_like(s, 'ABC', 'i'), regexp_like(s, '^a', 'c') from {_WORDS} order by k",
    """select count(*) from customers where "Email" ~ '@x\\.org$'""",
    "select id, name similar to '%b%', name similar to '(A|b)%',"
    " name similar to 'a\\_b\\%c' from customers order by id",
    "select id, name similar to '[A-C]%', name similar to '_{5}',"
    " name not similar to '%e' from customers order by id",
    "select o.id, name similar to 'a#_b%' escape '#', note similar to '.*' from orders o join customers c "
    "on c.id = o.customer_id order by o.id",
    "select c.id, name like 'a!_b%' escape '!', name like '%!%%' escape '!', note like '%\\%' escape ''"
    " from customers c join orders o on o.customer_id = c.id order by c.id, o.id",
    # formerly in the refusal corpus (test_refusals.py), translated since
    "select name ~* 'a', name similar to 'a%', name ~ '\\d+' from customers order by id",
    "select id from customers where name like 'a!%' escape '!' order by id",
    "select id, name ilike 'ALICE', name not ilike '%B%', name like 'a\\_b%' from customers order by id",
]

FUNCTION_CASES = [
    f"select k, regexp_replace(s, 'a', 'X') from {_WORDS} order by k",
    f"select k, regexp_replace(s, 'a', 'X', 'g'), regexp_replace(s, 'A', '-', 'gi') from {_WORDS} order by k",
    rf"select k, regexp_replace(s, '(\w)(\d+)', '\2\1', 'g'), regexp_replace(s, '[0-9]+',"
    rf" '<\&>') from {_WORDS}"
    " order by k",
    rf"select k, regexp_replace(s, 'b', '\\'), regexp_replace(s, 'b', '\x\9'), regexp_replace(s,"
    rf" '.', '') from {_WORDS}"
    " order by k",
    r"select regexp_replace('abc', 'b', 'x\'), regexp_replace('abc', 'b', '\0\\\&'),"
    r" regexp_replace('abc', '(b)', '[\1\1]', 'g')",
    f"select k, regexp_replace(s, 'aaa|bbb', '#', 'g'), regexp_replace(s, 'a+',"
    f" '#') from {_WORDS} order by k",
    f"select k, regexp_count(s, 'a'), regexp_count(s, '[0-9]+'), regexp_count(s, 'A', 1,"
    f" 'i') from {_WORDS} order by k",
    f"select k, regexp_substr(s, '[0-9]+'), regexp_substr(s, '[0-9]+', 1, 2), regexp_substr(s, 'z', 1, 3)"
    f" from {_WORDS} order by k",
    rf"select k, regexp_substr(s, '([a-z])(\d+)', 1, 1, '', 2), regexp_substr(s, 'É', 1, 1,"
    rf" 'i') from {_WORDS}"
    " order by k",
    f"select k, regexp_instr(s, 'b'), regexp_instr(s, '[0-9]+', 1, 1, 1), regexp_instr(s, '☃') from {_WORDS}"
    " order by k",
    rf"select k, substring(s from '[0-9]+'), substring(s from 'y(\d+)'),"
    rf" substring(s from '(a)b') from {_WORDS}"
    " order by k",
    rf"select k, (regexp_match(s, '(\w)(\d)'))[2], (regexp_match(s, 'a.'))[1], (regexp_match(s, '(x)'))[3]"
    f" from {_WORDS} order by k",
    """select id, regexp_replace("Email", '@.*$', ''),"""
    """ substring("Email" from '@(.*)$') from customers order by id""",
]


@pytest.mark.parametrize("sql", MATCH_CASES + FUNCTION_CASES)
def test_regex_matches_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        (r"select name ~ '(a)\1' from customers", "regular expression '(a)\\1'"),
        ("select name ~ '(?=a)' from customers", "lookaround"),
        ("select name ~ 'a*?' from customers", "lazy"),
        (r"select name ~ '\mword' from customers", "escape \\m"),
        ("select name ~ '[[.a.]]' from customers", "collating element"),
        ("select name ~ 'a{256}' from customers", "bound over 255"),
        ("select name ~ city from customers", "not a string literal"),
        ("select regexp_replace(name, 'a|b+', 'x') from customers", "longest match"),
        ("select regexp_replace(name, '(ab)*', 'x') from customers", "longest match"),
        ("select regexp_replace(name, 'b*', '-', 'g') from customers", "can match nothing"),
        ("select regexp_count(name, 'x?') from customers", "can match nothing"),
        ("select regexp_replace(name, 'a', 'b', 'x') from customers", "flag 'x'"),
        ("select regexp_count(name, 'a', 2) from customers", "start position"),
        ("select regexp_match(name, 'a') from customers", "regexp_match() as an array"),
        ("select regexp_substr(name, '(a)|b', 1, 1, '', 1) from customers", "regexp_substr()"),
        ("select name similar to '[^a]%' from customers", "similar to pattern"),
        ("select name like 'a%' escape '%' from customers", "escape '%'"),
        ("select name like city escape '!' from customers", "not a string literal"),
    ],
)
def test_regex_refused(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    text = f"{caught.value.message} {caught.value.hint or ''}".lower()
    assert construct.lower() in text, text
