"""Errors never echo the SQL pgbridge generated (issue 10, item 6): the translated statement
carries the role's row-filter predicate and the gateway's internals. Over psycopg as the demo's
`support` role (rows of its own country only), against the session `gateway`; then the scrubber
itself on the formats the libraries use.
"""

from __future__ import annotations

import re

import psycopg
import pytest

from pgbridge.server.error_text import without_sql
from pgbridge.wire.errors import PgError

# What only the generated SQL contains: the row filter's alias and predicate, BigQuery quoting,
# DuckDB's and sqlglot's context lines.
GENERATED = ("__pgbridge", "`", "country", "'DE'", "LINE ", "Line 1, Col", "\x1b[")

FAILING = [
    "SELECT count(*) FROM ONLY shop.customers",  # the case: a translation bug, XX000
    "SELECT id FROM shop.customers GROUP BY name",  # DuckDB's binder error, with its context
    "SELECT id FROM shop.orders GROUP BY status",  # orders: filtered through a subquery
]


@pytest.mark.parametrize("sql", FAILING)
def test_an_error_does_not_echo_the_generated_sql(gateway, sql):
    dsn = gateway.dsn(user="sam", roles=("support",), country="DE")
    with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute(sql)
    diag = caught.value.diag
    said = "\n".join(str(p) for p in (diag.message_primary, diag.message_detail, diag.message_hint) if p)
    for marker in GENERATED:
        assert marker not in said, f"{marker!r} reached the client: {said}"
    assert "SELECT" not in said.upper().replace(sql.upper(), ""), said
    if caught.value.sqlstate == "XX000":
        # The operator finds the details under the reference the client was given.
        reference = re.search(r"reference ([0-9a-f]+)", said)
        assert reference and f"internal error {reference.group(1)}" in gateway.log()


BQ = (
    "SELECT COUNT(*) AS `count` FROM (SELECT * FROM `shop`.`customers` AS `__pgbridge_filtered` "
    "WHERE `__pgbridge_filtered`.`country` = 'DE') AS `customers`"
)


def test_duckdb_context_lines_are_removed():
    error = PgError("42804", 'Binder Error: column "id" must appear in the GROUP BY clause\n\n'
                    'LINE 1: SELECT "id" FROM (SELECT * FROM "shop"."customers" WHERE country = \'DE\')\n'
                    "               ^")
    assert without_sql(error).message == 'Binder Error: column "id" must appear in the GROUP BY clause'


def test_sqlglot_context_and_colour_codes_are_removed():
    error = PgError("XX000", f"Expecting ). Line 1, Col: 59.\n  {BQ[:40]}\x1b[4m.\x1b[0m{BQ[40:]}")
    assert without_sql(error).message == "Expecting ). Line 1, Col: 59."


def test_a_line_quoting_the_generated_sql_is_removed_whatever_its_quotes():
    duck = BQ.replace("`", '"')
    error = PgError("22000", f"could not run:\n{duck}", hint=f"near {duck[30:80]}")
    cleaned = without_sql(error, BQ)
    assert cleaned.message == "could not run:" and cleaned.hint is None


def test_a_line_naming_an_internal_alias_is_removed_without_the_sql():
    error = PgError("42703", "masking cannot trace its output columns\n"
                    'Column "__pgbridge_filtered"."country" could not be resolved')
    assert without_sql(error).message == "masking cannot trace its output columns"


def test_an_error_made_only_of_sql_keeps_a_message():
    cleaned = without_sql(PgError("22000", BQ), BQ)
    assert cleaned.message and "customers" not in cleaned.message


def test_ordinary_messages_pass_unchanged():
    error = PgError("22012", "division by zero", detail='column "amount"', hint="add a WHERE")
    assert without_sql(error, BQ) is error
